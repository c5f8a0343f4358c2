using System.Text.Json;
using Fleetward.Trust.Merkle;

namespace Fleetward.Trust.Tests.Merkle;

public sealed class CorruptedProofTests
{
    private static readonly JsonElement Cases = MerkleTestData.Load("corrupted-proofs.json");

    public static TheoryData<string> InclusionCases() => Descriptions("inclusion");

    public static TheoryData<string> ConsistencyCases() => Descriptions("consistency");

    [Theory]
    [MemberData(nameof(InclusionCases))]
    public void Corrupted_inclusion_proof_is_rejected_with_a_reason(string description)
    {
        var c = Find("inclusion", description);
        var check = MerkleProofs.VerifyInclusion(
            c.GetProperty("leafIndex").GetInt64(),
            c.GetProperty("treeSize").GetInt64(),
            MerkleTestData.Hex(c.GetProperty("leafHash")),
            MerkleTestData.HexList(c.GetProperty("proof")),
            MerkleTestData.Hex(c.GetProperty("root")));

        Assert.False(check.IsValid);
        Assert.False(string.IsNullOrWhiteSpace(check.Reason));
    }

    [Theory]
    [MemberData(nameof(ConsistencyCases))]
    public void Corrupted_consistency_proof_is_rejected_with_a_reason(string description)
    {
        var c = Find("consistency", description);
        var check = MerkleProofs.VerifyConsistency(
            c.GetProperty("size1").GetInt64(),
            c.GetProperty("size2").GetInt64(),
            MerkleTestData.HexList(c.GetProperty("proof")),
            MerkleTestData.Hex(c.GetProperty("root1")),
            MerkleTestData.Hex(c.GetProperty("root2")));

        Assert.False(check.IsValid);
        Assert.False(string.IsNullOrWhiteSpace(check.Reason));
    }

    private static TheoryData<string> Descriptions(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases.GetProperty(kind).EnumerateArray())
        {
            data.Add(c.GetProperty("description").GetString()!);
        }
        return data;
    }

    private static JsonElement Find(string kind, string description) =>
        Cases.GetProperty(kind).EnumerateArray().Single(c => c.GetProperty("description").GetString() == description);
}
