using Fleetward.Core.Audit;

namespace Fleetward.Core.Tests.Audit;

public sealed class AuditEvidencePackTests
{
    private const int Count = 30;
    private readonly AuditLogFixture _log = AuditLogFixture.Create(Count);

    private Task<AuditEvidencePack> Pack(bool proofs, IReadOnlyList<long>? consistencyFrom = null, int skip = 0) =>
        AuditEvidencePack.CreateAsync(_log.CheckpointNote(Count), _log.Key, Count,
            _log.Leaves.Select((leaf, i) => ((long)i, leaf)).Skip(skip).ToList(), _log.Nodes, proofs, consistencyFrom);

    [Fact]
    public async Task Pack_round_trips_through_json()
    {
        var pack = await Pack(proofs: true, consistencyFrom: [10]);

        var read = AuditEvidencePack.FromJson(pack.ToJson());

        Assert.Equal(pack.Checkpoint, read.Checkpoint);
        Assert.Equal(pack.LogKey, read.LogKey);
        Assert.Equal(Count, read.Entries.Count);
        Assert.Equal(pack.Entries[7].Leaf, read.Entries[7].Leaf);
        Assert.Equal(pack.Entries[7].StoredLeafHash, read.Entries[7].StoredLeafHash);
        Assert.Equal(pack.Entries[7].InclusionProof, read.Entries[7].InclusionProof);
        Assert.Equal(pack.Consistency![0].Proof, read.Consistency![0].Proof);
    }

    [Fact]
    public async Task Exported_pack_verifies_offline_against_a_trusted_checkpoint()
    {
        var pack = AuditEvidencePack.FromJson((await Pack(proofs: false)).ToJson());

        var result = await new AuditLogVerifier().VerifyAsync(pack.ToVerificationRequest(_log.Key, _log.CheckpointNote(12)));

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public async Task Partial_pack_verifies_offline_with_its_own_proofs()
    {
        var pack = AuditEvidencePack.FromJson((await Pack(proofs: true, consistencyFrom: [25], skip: 26)).ToJson());

        var result = await new AuditLogVerifier().VerifyAsync(pack.ToVerificationRequest(_log.Key, _log.CheckpointNote(25)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(4, result.EntriesVerified);
    }

    [Fact]
    public async Task Pack_edited_after_export_names_the_edited_entry()
    {
        var pack = await Pack(proofs: false);
        var entries = pack.Entries.ToList();
        entries[9] = entries[9] with { Leaf = AuditLogFixture.Forged(9) };
        var edited = AuditEvidencePack.FromJson((pack with { Entries = entries }).ToJson());

        var result = await new AuditLogVerifier().VerifyAsync(edited.ToVerificationRequest(_log.Key));

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(9, result.FirstBrokenIndex);
    }

    [Theory]
    [InlineData("""{"format":"other/v9","checkpoint":"x","entries":[]}""", "$.format")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","entries":[]}""", "$.checkpoint")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x"}""", "$.entries")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x","entries":[{"index":0}]}""", "$.entries[0].leaf")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x","entries":[{"index":-1,"leaf":"AA=="}]}""", "$.entries[0].index")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x","entries":[{"index":0,"leaf":"AA==","leafHash":"AA=="}]}""", "$.entries[0].leafHash")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x","entries":[{"index":0,"leaf":"AA==","inclusionProof":["AA=="]}]}""", "$.entries[0].inclusionProof[0]")]
    [InlineData("""{"format":"fleetward-audit-evidence/v1","checkpoint":"x","entries":[{"index":0,"leaf":"not base64!"}]}""", "$.entries[0].leaf")]
    public void Malformed_packs_name_the_field(string json, string field)
    {
        Assert.Equal(field, Assert.Throws<AuditEvidenceFormatException>(() => AuditEvidencePack.FromJson(json)).Field);
    }
}
