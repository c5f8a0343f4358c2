using System.Net;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Tests.Audit;

/// <summary>The audit API's answers: signed checkpoints made on demand and periodically, entries, proofs and their refusals.</summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private AuditServer server = null!;

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync("sqlite");
        await server.CreateTokensAsync(5);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task The_server_signs_a_checkpoint_when_it_starts()
    {
        using var auditor = server.Client(server.AuditorToken);
        // The periodic service runs once at start; its first checkpoint may race the setup's appends.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage response;
        while ((response = await auditor.GetAsync("/api/v1/audit/checkpoint")).StatusCode == HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await Read<AuditEndpoints.CheckpointView>(response);
        Assert.True(Checkpoint.Open(view.Checkpoint, server.Signer.VerifierKey, AuditServer.Origin).IsValid);
    }

    [Fact]
    public async Task A_checkpoint_on_demand_is_new_only_when_the_log_grew_and_signs_the_root_of_every_entry()
    {
        using var admin = server.Client(server.AdminToken);
        var first = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        Assert.True(first.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK);
        var again = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((await Read<AuditEndpoints.CheckpointView>(first)).Checkpoint, (await Read<AuditEndpoints.CheckpointView>(again)).Checkpoint);

        await server.CreateTokensAsync(1);
        var grown = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        Assert.Equal(HttpStatusCode.Created, grown.StatusCode);
        var view = await Read<AuditEndpoints.CheckpointView>(grown);
        Assert.Equal(8, view.TreeSize);

        using var auditor = server.Client(server.AuditorToken);
        var key = await Read<AuditEndpoints.KeyView>(await auditor.GetAsync("/api/v1/audit/key"));
        Assert.Equal(AuditServer.Origin, key.Origin);
        var opened = Checkpoint.Open(view.Checkpoint, NoteVerifierKey.Parse(key.VerifierKey), AuditServer.Origin);
        Assert.True(opened.IsValid, opened.Reason);
        var page = await Read<AuditEndpoints.EntryPage>(await auditor.GetAsync("/api/v1/audit/entries?start=0"));
        Assert.Equal(8, page.Entries.Count);
        Assert.All(page.Entries, e => Assert.Equal(MerkleHasher.HashLeaf(e.Leaf), e.LeafHash));
        Assert.Equal(MerkleHasher.RootOf([.. page.Entries.Select(e => e.LeafHash!)]), opened.Checkpoint!.RootHash);
        Assert.Equal(view.Checkpoint, (await Read<AuditEndpoints.CheckpointView>(await auditor.GetAsync("/api/v1/audit/checkpoint"))).Checkpoint);
    }

    [Fact]
    public async Task Entries_come_by_range_with_their_decoded_fields()
    {
        using var auditor = server.Client(server.AuditorToken);
        var page = await Read<AuditEndpoints.EntryPage>(await auditor.GetAsync("/api/v1/audit/entries?start=2&end=5"));
        Assert.Equal((2, 5, 7), (page.Start, page.End, page.TreeSize));
        Assert.Equal([2L, 3, 4], page.Entries.Select(e => e.Index));
        var entry = page.Entries[0];
        Assert.Equal("token.created", entry.Type);
        Assert.StartsWith("token:", entry.Subject);
        Assert.Equal("load 0", JsonDocument.Parse(entry.Payload).RootElement.GetProperty("name").GetString());
        Assert.Empty((await Read<AuditEndpoints.EntryPage>(await auditor.GetAsync("/api/v1/audit/entries?start=7"))).Entries);
    }

    [Theory]
    [InlineData("/api/v1/audit/entries", "start", "required")]
    [InlineData("/api/v1/audit/entries?start=x", "start", "non-negative integer")]
    [InlineData("/api/v1/audit/entries?start=-1", "start", "non-negative integer")]
    [InlineData("/api/v1/audit/entries?start=8", "start", "only 7 entries")]
    [InlineData("/api/v1/audit/entries?start=3&end=2", "end", "must not be smaller")]
    [InlineData("/api/v1/audit/entries?start=0&end=8", "end", "only 7 entries")]
    [InlineData("/api/v1/audit/entries?start=0&limit=5", "limit", "Unknown query parameter")]
    [InlineData("/api/v1/audit/entries?start=0&start=1", "start", "more than once")]
    [InlineData("/api/v1/audit/proofs/inclusion", "index", "required")]
    [InlineData("/api/v1/audit/proofs/inclusion?index=7", "index", "below the tree size 7")]
    [InlineData("/api/v1/audit/proofs/inclusion?index=0&size=9", "size", "only 7 entries")]
    [InlineData("/api/v1/audit/proofs/consistency?from=5&to=4", "from", "must not be larger")]
    [InlineData("/api/v1/audit/proofs/consistency?from=1&to=99", "to", "only 7 entries")]
    [InlineData("/api/v1/audit/checkpoint?size=3", "size", "takes none")]
    public async Task Bad_parameters_are_problems_naming_the_parameter(string path, string field, string detail)
    {
        using var auditor = server.Client(server.AuditorToken);
        var problem = await ProblemAssert.IsProblemAsync(await auditor.GetAsync(path), HttpStatusCode.BadRequest, "validation", path);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_page_is_bounded()
    {
        using var auditor = server.Client(server.AuditorToken);
        var bounded = await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"/api/v1/audit/entries?start=0&end={AuditEndpoints.MaxPageSize + 1}"),
            HttpStatusCode.BadRequest, "validation");
        Assert.Equal("end", bounded.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Inclusion_and_consistency_proofs_verify_against_signed_checkpoints()
    {
        var small = Checkpoint.ParseText(SignedNote.Parse(await server.CheckpointAsync()).Text);
        await server.CreateTokensAsync(6);
        var large = Checkpoint.ParseText(SignedNote.Parse(await server.CheckpointAsync()).Text);
        Assert.Equal((7, 13), (small.TreeSize, large.TreeSize));

        using var auditor = server.Client(server.AuditorToken);
        var page = await Read<AuditEndpoints.EntryPage>(await auditor.GetAsync("/api/v1/audit/entries?start=0"));
        for (var index = 0; index < large.TreeSize; index++)
        {
            var proof = await Read<AuditEndpoints.InclusionProofView>(await auditor.GetAsync($"/api/v1/audit/proofs/inclusion?index={index}&size=13"));
            Assert.True(MerkleProofs.VerifyInclusion(index, 13, MerkleHasher.HashLeaf(page.Entries[index].Leaf), proof.Proof, large.RootHash).IsValid);
        }
        var consistency = await Read<AuditEndpoints.ConsistencyProofView>(await auditor.GetAsync("/api/v1/audit/proofs/consistency?from=7&to=13"));
        Assert.True(MerkleProofs.VerifyConsistency(7, 13, consistency.Proof, small.RootHash, large.RootHash).IsValid);
        var latest = await Read<AuditEndpoints.ConsistencyProofView>(await auditor.GetAsync("/api/v1/audit/proofs/consistency?from=7"));
        Assert.Equal(13, latest.To);
    }

    [Fact]
    public async Task Without_a_log_key_the_log_reads_but_signs_nothing()
    {
        await using var plain = await TestServer.StartAsync();
        using var admin = plain.OperatorClient(OperatorRole.Admin);
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/audit/checkpoint"), HttpStatusCode.NotFound, "not-found");
        var unavailable = await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/v1/audit/checkpoint", null), HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.Contains("audit.logKey", unavailable.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/audit/key"), HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/audit/entries?start=0")).StatusCode);
    }

    private static async Task<T> Read<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonSerializer.Deserialize<T>(body, JsonBody.Options)!;
    }
}
