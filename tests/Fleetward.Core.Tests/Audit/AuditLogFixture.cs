using Fleetward.Core.Audit;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Tests.Audit;

/// <summary>A small honest audit log (events, stored nodes, signed checkpoints) that tests then tamper with.</summary>
internal sealed class AuditLogFixture
{
    public const string Origin = "fleetward.test/audit";

    private AuditLogFixture(List<byte[]> leaves, InMemoryMerkleNodeStore nodes, Ed25519NoteSigner signer, Dictionary<long, byte[]> roots)
    {
        Leaves = leaves;
        Nodes = nodes;
        Signer = signer;
        Roots = roots;
    }

    public List<byte[]> Leaves { get; }
    public InMemoryMerkleNodeStore Nodes { get; }
    public Ed25519NoteSigner Signer { get; }
    public Dictionary<long, byte[]> Roots { get; }
    public NoteVerifierKey Key => Signer.VerifierKey;

    public static AuditLogFixture Create(int count)
    {
        var start = new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
        var leaves = new List<byte[]>();
        var nodes = new InMemoryMerkleNodeStore();
        var tree = new CompactMerkleTree();
        var roots = new Dictionary<long, byte[]> { [0] = tree.RootHash() };
        for (var i = 0; i < count; i++)
        {
            var leaf = AuditLeafCodec.Encode(new AuditEvent("command.sent", start.AddSeconds(i), "operator:alice", $"device:robot-{i}", $$"""{"seq":{{i}}}"""));
            leaves.Add(leaf);
            nodes.Put(tree.Append(MerkleHasher.HashLeaf(leaf)));
            roots[tree.Size] = tree.RootHash();
        }
        return new AuditLogFixture(leaves, nodes, Ed25519NoteSigner.Generate(Origin), roots);
    }

    public string CheckpointNote(long size) => new Checkpoint(Origin, size, Roots[size]).Sign(Signer).ToString();

    public List<AuditLogEntry> Entries(bool storedHashes = false) =>
        Leaves.Select((leaf, i) => new AuditLogEntry(i, leaf, storedHashes ? Nodes.Get(new MerkleNodeId(0, i)) : null)).ToList();

    public static byte[] Forged(int i) =>
        AuditLeafCodec.Encode(new AuditEvent("command.sent", DateTimeOffset.UnixEpoch, "operator:mallory", $"device:robot-{i}", "{}"));
}
