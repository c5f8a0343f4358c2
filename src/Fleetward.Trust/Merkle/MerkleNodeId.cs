namespace Fleetward.Trust.Merkle;

/// <summary>
/// Address of a perfect (complete) subtree: <paramref name="Level"/> 0 is a leaf, level L covers the
/// 2^L leaves [Index * 2^L, (Index + 1) * 2^L). Only such nodes are ever stored, because they never change
/// once written: the tree is append-only, so storage is write-once rows keyed by (level, index).
/// </summary>
public readonly record struct MerkleNodeId(int Level, long Index)
{
    /// <summary>First leaf covered by this node.</summary>
    public long FirstLeaf => Index << Level;

    /// <summary>Number of leaves covered by this node.</summary>
    public long LeafCount => 1L << Level;

    public override string ToString() => $"({Level},{Index})";
}

/// <summary>A stored node: its address and its RFC 6962 hash.</summary>
public readonly record struct MerkleNode(MerkleNodeId Id, byte[] Hash);

/// <summary>Raised when a node source lacks a node that the tree of the requested size must contain.</summary>
public sealed class MerkleNodeNotFoundException(MerkleNodeId id)
    : Exception($"Merkle node {id} is not stored; the log is missing data for leaves [{id.FirstLeaf}, {id.FirstLeaf + id.LeafCount}).")
{
    public MerkleNodeId Id { get; } = id;
}
