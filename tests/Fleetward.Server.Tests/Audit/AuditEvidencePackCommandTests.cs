using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Server.Tests.Audit;

/// <summary>`fleetward audit export` then `audit verify --pack` with no server: the auditor's offline path.</summary>
public sealed class AuditEvidencePackCommandTests : IAsyncLifetime
{
    private AuditServer server = null!;
    private string ca = "";
    private string vkey = "";

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync("sqlite");
        await server.CreateTokensAsync(6);
        ca = Path.Combine(server.Directory, "operator-ca.pem");
        await File.WriteAllTextAsync(ca, server.Certificate.ExportCertificatePem());
        vkey = Path.Combine(server.Directory, "audit-log.vkey");
        await File.WriteAllTextAsync(vkey, server.Signer.VerifierKey + "\n");
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task An_exported_pack_verifies_offline_and_a_trusted_checkpoint_is_proven_consistent()
    {
        var trusted = Path.Combine(server.Directory, "trusted.checkpoint");
        await File.WriteAllTextAsync(trusted, await server.CheckpointAsync());
        await server.CreateTokensAsync(3);
        await server.CheckpointAsync();
        var pack = await ExportAsync("--trusted-checkpoint", trusted);
        await server.Server.StopAsync();

        var (code, output, error) = await AuditTamperTests.RunAsync(["audit", "verify", "--pack", pack, "--verifier-key", vkey, "--trusted-checkpoint", trusted]);
        Assert.True(code == 0, output + error);
        Assert.Contains("11 entries verified against the checkpoint of size 11; consistent with the trusted checkpoint of size 8", output);
    }

    [Fact]
    public async Task A_pack_with_an_edited_entry_fails_offline_naming_it()
    {
        await server.CheckpointAsync();
        var pack = await ExportAsync();
        var json = JsonNode.Parse(await File.ReadAllTextAsync(pack))!;
        var leaf = Convert.FromBase64String(json["entries"]![5]!["leaf"]!.GetValue<string>());
        leaf[^2] ^= 0x01;
        json["entries"]![5]!["leaf"] = Convert.ToBase64String(leaf);
        await File.WriteAllTextAsync(pack, json.ToJsonString());

        var (code, output, _) = await AuditTamperTests.RunAsync(["audit", "verify", "--pack", pack, "--verifier-key", vkey, "--json"]);
        Assert.Equal(1, code);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.Equal(5, result.GetProperty("firstBrokenIndex").GetInt64());
        Assert.Equal("EntryChanged", result.GetProperty("break").GetString());
    }

    [Fact]
    public async Task Offline_verification_needs_a_pinned_key_and_a_foreign_key_is_refused()
    {
        await server.CheckpointAsync();
        var pack = await ExportAsync();
        var (code, _, error) = await AuditTamperTests.RunAsync(["audit", "verify", "--pack", pack]);
        Assert.Equal(2, code);
        Assert.Contains("--verifier-key is required", error);

        var foreign = Path.Combine(server.Directory, "foreign.vkey");
        await File.WriteAllTextAsync(foreign, Trust.Notes.Ed25519NoteSigner.Generate(AuditServer.Origin).VerifierKey.ToString());
        var (refused, output, _) = await AuditTamperTests.RunAsync(["audit", "verify", "--pack", pack, "--verifier-key", foreign]);
        Assert.Equal(1, refused);
        Assert.Contains("CheckpointInvalid", output);
    }

    [Fact]
    public async Task Online_verify_saves_the_checkpoint_it_verified_for_the_next_run()
    {
        await server.CheckpointAsync();
        var saved = Path.Combine(server.Directory, "saved.checkpoint");
        var (code, output, error) = await AuditTamperTests.RunAsync(["audit", "verify", "--server", server.Server.OperatorAddress.ToString(), "--ca-file", ca,
            "--save-checkpoint", saved], name => name == "FLEETWARD_TOKEN" ? server.AuditorToken : null);
        Assert.True(code == 0, output + error);
        Assert.Contains("not pinned", output);
        Assert.Equal(8, Trust.Notes.Checkpoint.ParseText(Trust.Notes.SignedNote.Parse(await File.ReadAllTextAsync(saved)).Text).TreeSize);

        var (again, secondOutput, _) = await AuditTamperTests.RunAsync(["audit", "verify", "--server", server.Server.OperatorAddress.ToString(), "--ca-file", ca,
            "--token", server.AuditorToken, "--verifier-key", vkey, "--trusted-checkpoint", saved]);
        Assert.Equal(0, again);
        Assert.Contains("consistent with the trusted checkpoint of size 8", secondOutput);
    }

    private async Task<string> ExportAsync(params string[] extra)
    {
        var pack = Path.Combine(server.Directory, $"pack-{Guid.NewGuid():N}.json");
        var (code, output, error) = await AuditTamperTests.RunAsync(["audit", "export", "--out", pack, "--server", server.Server.OperatorAddress.ToString(),
            "--token", server.AuditorToken, "--ca-file", ca, .. extra]);
        Assert.True(code == 0, output + error);
        return pack;
    }
}
