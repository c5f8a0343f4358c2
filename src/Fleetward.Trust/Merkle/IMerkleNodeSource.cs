namespace Fleetward.Trust.Merkle;

/// <summary>
/// Where proof code reads the hashes of perfect subtrees. Storage implements it over a table keyed by
/// (level, index); requests arrive in batches of O(log n) ids so one query can serve a whole proof.
/// </summary>
public interface IMerkleNodeSource
{
    /// <summary>
    /// The hashes of <paramref name="ids"/>, in the same order. Throws <see cref="MerkleNodeNotFoundException"/>
    /// naming the first id that is not stored.
    /// </summary>
    ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default);
}

/// <summary>
/// A node source that also accepts the new nodes produced by <see cref="CompactMerkleTree.Append(ReadOnlySpan{byte})"/>.
/// Nodes are write-once: writing a different hash at an existing (level, index) is tampering and must fail.
/// </summary>
public interface IMerkleNodeStore : IMerkleNodeSource
{
    ValueTask PutNodesAsync(IReadOnlyList<MerkleNode> nodes, CancellationToken cancellationToken = default);
}
