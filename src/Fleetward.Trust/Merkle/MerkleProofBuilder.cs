namespace Fleetward.Trust.Merkle;

/// <summary>
/// Builds roots and RFC 9162 proofs for any tree size from stored perfect-subtree hashes: each proof asks its
/// node source once, for O(log n) nodes, so proof cost does not grow with the number of entries.
/// </summary>
public sealed class MerkleProofBuilder(IMerkleNodeSource source)
{
    private readonly IMerkleNodeSource _source = source ?? throw new ArgumentNullException(nameof(source));

    /// <summary>MTH(D[size]); the empty-string hash for size 0.</summary>
    public async Task<byte[]> RootAsync(long size, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size == 0)
        {
            return MerkleHasher.EmptyRoot();
        }
        var hashes = await HashRangesAsync([new MerkleRange(0, size)], cancellationToken).ConfigureAwait(false);
        return hashes[0];
    }

    /// <summary>RFC 9162 2.1.3.1: the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public Task<IReadOnlyList<byte[]>> InclusionProofAsync(long index, long size, CancellationToken cancellationToken = default) =>
        HashRangesAsync(MerkleProofs.InclusionPath(index, size), cancellationToken);

    /// <summary>RFC 9162 2.1.4.1: the consistency proof from <paramref name="size1"/> to <paramref name="size2"/>.</summary>
    public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default) =>
        HashRangesAsync(MerkleProofs.ConsistencyPath(size1, size2), cancellationToken);

    private async Task<IReadOnlyList<byte[]>> HashRangesAsync(IReadOnlyList<MerkleRange> ranges, CancellationToken cancellationToken)
    {
        if (ranges.Count == 0)
        {
            return [];
        }
        var pieces = new IReadOnlyList<MerkleNodeId>[ranges.Count];
        var ids = new List<MerkleNodeId>();
        for (var i = 0; i < ranges.Count; i++)
        {
            pieces[i] = ranges[i].PerfectSubtrees();
            ids.AddRange(pieces[i]);
        }
        var hashes = await _source.GetNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        if (hashes.Count != ids.Count)
        {
            throw new InvalidOperationException($"Node source returned {hashes.Count} hashes for {ids.Count} requested nodes.");
        }
        var result = new byte[ranges.Count][];
        var offset = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var count = pieces[i].Count;
            var slice = new byte[count][];
            for (var j = 0; j < count; j++)
            {
                slice[j] = hashes[offset + j];
            }
            result[i] = MerkleRange.Fold(slice);
            offset += count;
        }
        return result;
    }
}
