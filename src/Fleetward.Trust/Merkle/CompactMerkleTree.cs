using System.Numerics;

namespace Fleetward.Trust.Merkle;

/// <summary>
/// The right border of an append-only Merkle tree: one perfect-subtree hash per set bit of the size. It is all
/// an appender needs: appending leaf n yields leaf node (0, n) plus one new node per trailing 1-bit of n
/// (amortised two new nodes per append), and the root of the current size folds out of it in O(log n).
/// Not thread-safe: the log has one writer, inside the transaction that persists the nodes.
/// </summary>
public sealed class CompactMerkleTree
{
    // frontier[level] holds the hash of the perfect subtree of 2^level leaves when bit `level` of Size is set.
    private readonly byte[]?[] _frontier = new byte[64][];

    /// <summary>Starts an empty tree.</summary>
    public CompactMerkleTree()
    {
    }

    private CompactMerkleTree(long size) => Size = size;

    /// <summary>Number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>The perfect subtrees that make up a tree of <paramref name="size"/> leaves, largest (leftmost) first.</summary>
    public static IReadOnlyList<MerkleNodeId> FrontierNodeIds(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return size == 0 ? [] : new MerkleRange(0, size).PerfectSubtrees();
    }

    /// <summary>Rebuilds the tree of <paramref name="size"/> leaves from the hashes of <see cref="FrontierNodeIds"/>, same order.</summary>
    public static CompactMerkleTree FromFrontier(long size, IReadOnlyList<byte[]> frontierHashes)
    {
        ArgumentNullException.ThrowIfNull(frontierHashes);
        var ids = FrontierNodeIds(size);
        if (ids.Count != frontierHashes.Count)
        {
            throw new ArgumentException($"A tree of size {size} has {ids.Count} frontier nodes, got {frontierHashes.Count}.", nameof(frontierHashes));
        }
        var tree = new CompactMerkleTree(size);
        for (var i = 0; i < ids.Count; i++)
        {
            MerkleHasher.RequireHash(frontierHashes[i], nameof(frontierHashes));
            tree._frontier[ids[i].Level] = (byte[])frontierHashes[i].Clone();
        }
        return tree;
    }

    /// <summary>Loads the frontier of a stored tree of <paramref name="size"/> leaves with one batched lookup.</summary>
    public static async Task<CompactMerkleTree> LoadAsync(IMerkleNodeSource source, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var ids = FrontierNodeIds(size);
        var hashes = ids.Count == 0 ? [] : await source.GetNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        return FromFrontier(size, hashes);
    }

    /// <summary>
    /// Appends the leaf whose RFC 6962 leaf hash is <paramref name="leafHash"/> at index <see cref="Size"/> and
    /// returns every perfect-subtree node this completes, leaf first: exactly the rows storage must insert.
    /// </summary>
    public IReadOnlyList<MerkleNode> Append(ReadOnlySpan<byte> leafHash)
    {
        MerkleHasher.RequireHash(leafHash, nameof(leafHash));
        var index = Size;
        var current = leafHash.ToArray();
        var created = new List<MerkleNode>(1 + BitOperations.TrailingZeroCount(~(ulong)index))
        {
            new(new MerkleNodeId(0, index), current),
        };
        // Each trailing 1-bit of the old size is a perfect left sibling that the new node completes (RFC 9162 2.1.1).
        var level = 0;
        while ((index & (1L << level)) != 0)
        {
            current = MerkleHasher.HashChildren(_frontier[level]!, current);
            _frontier[level] = null;
            level++;
            created.Add(new MerkleNode(new MerkleNodeId(level, index >> level), current));
        }
        _frontier[level] = current;
        Size = index + 1;
        return created;
    }

    /// <summary>MTH of the current tree (RFC 9162 2.1.1): the frontier folded right to left; the empty-string hash when empty.</summary>
    public byte[] RootHash()
    {
        byte[]? root = null;
        for (var level = 0; level < _frontier.Length; level++)
        {
            var node = _frontier[level];
            if (node is null)
            {
                continue;
            }
            root = root is null ? (byte[])node.Clone() : MerkleHasher.HashChildren(node, root);
        }
        return root ?? MerkleHasher.EmptyRoot();
    }
}
