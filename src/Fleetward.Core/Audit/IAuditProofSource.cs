using Fleetward.Trust.Merkle;

namespace Fleetward.Core.Audit;

/// <summary>
/// Where a verifier asks for proofs it does not hold: the server's audit API online, or stored nodes directly.
/// The answers are untrusted; every proof is checked against the signed checkpoint.
/// </summary>
public interface IAuditProofSource
{
    /// <summary>RFC 9162 2.1.3 inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves.</summary>
    Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default);

    /// <summary>RFC 9162 2.1.4 consistency proof from <paramref name="size1"/> to <paramref name="size2"/>.</summary>
    Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default);
}

/// <summary>Proofs computed from a log's stored perfect-subtree nodes: what the server's audit endpoints serve.</summary>
public sealed class MerkleNodeAuditProofSource(IMerkleNodeSource nodes) : IAuditProofSource
{
    private readonly MerkleProofBuilder _builder = new(nodes);

    public Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default) =>
        _builder.InclusionProofAsync(index, treeSize, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default) =>
        _builder.ConsistencyProofAsync(size1, size2, cancellationToken);
}
