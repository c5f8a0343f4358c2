using System.Security.Cryptography;

namespace Fleetward.Trust.Merkle;

/// <summary>
/// A node store held in memory: for tests, benchmarks and auditors rebuilding a tree from an export.
/// Hashes are packed 32 bytes apiece in growing chunks per level, so ten million leaves (about twenty
/// million nodes) fit in roughly 640 MB without one object per node.
/// </summary>
public sealed class InMemoryMerkleNodeStore : IMerkleNodeStore
{
    private const int ChunkShift = 16;
    private const int ChunkNodes = 1 << ChunkShift;
    private const int ChunkBytes = ChunkNodes * MerkleHasher.HashSize;

    private readonly List<List<byte[]>> _levels = [];
    private readonly List<long> _counts = [];
    private readonly Lock _gate = new();

    public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new byte[ids.Count][];
        lock (_gate)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                result[i] = Read(ids[i]);
            }
        }
        return ValueTask.FromResult<IReadOnlyList<byte[]>>(result);
    }

    /// <summary>Synchronous lookup of one node, for callers that are not async.</summary>
    public byte[] Get(MerkleNodeId id)
    {
        lock (_gate)
        {
            return Read(id);
        }
    }

    /// <summary>
    /// Stores nodes. Nodes at each level must arrive in index order (the tree is append-only); re-writing an
    /// existing node with the same hash is accepted, with a different hash it is refused.
    /// </summary>
    public ValueTask PutNodesAsync(IReadOnlyList<MerkleNode> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        lock (_gate)
        {
            foreach (var node in nodes)
            {
                Write(node);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Synchronous form of <see cref="PutNodesAsync"/>.</summary>
    public void Put(IReadOnlyList<MerkleNode> nodes) => PutNodesAsync(nodes).GetAwaiter().GetResult();

    private byte[] Read(MerkleNodeId id)
    {
        if (id.Level < 0 || id.Index < 0 || id.Level >= _counts.Count || id.Index >= _counts[id.Level])
        {
            throw new MerkleNodeNotFoundException(id);
        }
        var chunk = _levels[id.Level][(int)(id.Index >> ChunkShift)];
        var offset = (int)(id.Index & (ChunkNodes - 1)) * MerkleHasher.HashSize;
        return chunk.AsSpan(offset, MerkleHasher.HashSize).ToArray();
    }

    private void Write(MerkleNode node)
    {
        var id = node.Id;
        MerkleHasher.RequireHash(node.Hash, nameof(node));
        if (id.Level < 0 || id.Level >= 63 || id.Index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(node), $"Node {id} has no place in a Merkle tree.");
        }
        while (_counts.Count <= id.Level)
        {
            _levels.Add([]);
            _counts.Add(0);
        }
        var count = _counts[id.Level];
        if (id.Index < count)
        {
            if (!CryptographicOperations.FixedTimeEquals(Read(id), node.Hash))
            {
                throw new InvalidOperationException($"Node {id} is already stored with a different hash; stored nodes are write-once.");
            }
            return;
        }
        if (id.Index != count)
        {
            throw new InvalidOperationException($"Node {id} skips ahead: level {id.Level} holds {count} nodes, so the next index must be {count}.");
        }
        var chunks = _levels[id.Level];
        var chunkIndex = (int)(id.Index >> ChunkShift);
        if (chunkIndex == chunks.Count)
        {
            chunks.Add(new byte[16 * MerkleHasher.HashSize]);
        }
        var offset = (int)(id.Index & (ChunkNodes - 1)) * MerkleHasher.HashSize;
        if (offset + MerkleHasher.HashSize > chunks[chunkIndex].Length)
        {
            // Chunks grow by doubling up to their full size, so small trees stay small.
            var grown = chunks[chunkIndex];
            Array.Resize(ref grown, Math.Min(ChunkBytes, grown.Length * 2));
            chunks[chunkIndex] = grown;
        }
        node.Hash.CopyTo(chunks[chunkIndex], offset);
        _counts[id.Level] = count + 1;
    }
}
