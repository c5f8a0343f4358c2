using System.Text;
using System.Text.Json.Nodes;
using Fleetward.Core.Receipts;
using Fleetward.Server.Tests.Audit;
using Fleetward.Server.Tests.Cli;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Tests.Receipts;

/// <summary>`fleetward report` and `fleetward report verify` against a real server with an audit-log key.</summary>
public sealed class ReportCliTests : IAsyncLifetime
{
    private AuditServer server = null!;
    private DirectoryInfo work = null!;
    private string caFile = "";
    private string vkeyFile = "";

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync("sqlite");
        await server.CreateTokensAsync(1);
        await server.CheckpointAsync();
        work = Directory.CreateTempSubdirectory("fleetward-report-test-");
        caFile = Path.Combine(work.FullName, "operator-ca.pem");
        await File.WriteAllTextAsync(caFile, server.Certificate.ExportCertificatePem());
        vkeyFile = Path.Combine(work.FullName, "audit-log.vkey");
        await File.WriteAllTextAsync(vkeyFile, server.Signer.VerifierKey + "\n");
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        work.Delete(recursive: true);
    }

    private Task<CliRunner.Result> ReportAsync(params string[] args) =>
        CliRunner.RunAsync(["report", .. args, "--server", server.Server.OperatorAddress.ToString(), "--token", server.AuditorToken, "--ca-file", caFile]);

    [Fact]
    public async Task Report_prints_every_figure_with_its_fractions_and_the_audit_anchor()
    {
        var result = await ReportAsync("--days", "7");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("FIGURE", result.Output);
        Assert.Contains("Devices with unique credentials", result.Output);
        Assert.Contains("no data", result.Output);
        Assert.Contains("no device is in service", result.Output);
        Assert.Contains($"Server {AuditServer.Origin}", result.Output);
        Assert.Contains("verified: signature verifies with the log key", result.Output);
    }

    [Fact]
    public async Task Report_json_is_the_api_document()
    {
        var result = await ReportAsync("--json");
        Assert.Equal(0, result.ExitCode);
        var receipts = SecurityReceiptsJson.Parse(Encoding.UTF8.GetBytes(result.Output));
        Assert.Equal(14, receipts.Figures.Count);
    }

    [Fact]
    public async Task An_exported_receipt_verifies_offline_and_a_tampered_one_is_refused_naming_the_signature()
    {
        var file = Path.Combine(work.FullName, "receipt.json");
        var export = await ReportAsync("--out", file);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains("Wrote the signed receipt", export.Output);

        var verified = await CliRunner.RunAsync("report", "verify", file, "--verifier-key", vkeyFile);
        Assert.Equal(0, verified.ExitCode);
        Assert.Contains("OK: signed by " + AuditServer.Origin, verified.Output);

        var envelope = SignedCommand.FromJson(await File.ReadAllTextAsync(file));
        var payload = JsonNode.Parse(envelope.Payload)!;
        payload["audit"]!["logSize"] = 1_000_000;
        var tamperedFile = Path.Combine(work.FullName, "tampered.json");
        await File.WriteAllTextAsync(tamperedFile, (envelope with { Payload = Fleetward.Trust.Canonical.CanonicalJson.Serialize(payload) }).ToJson());

        var refused = await CliRunner.RunAsync("report", "verify", tamperedFile, "--verifier-key", vkeyFile, "--json");
        Assert.Equal(1, refused.ExitCode);
        var answer = JsonNode.Parse(refused.Output)!;
        Assert.False(answer["verified"]!.GetValue<bool>());
        Assert.StartsWith("signature:", answer["failure"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verifying_with_another_key_fails_and_a_bad_key_file_is_a_usage_error()
    {
        var file = Path.Combine(work.FullName, "receipt.json");
        Assert.Equal(0, (await ReportAsync("--out", file, "--json")).ExitCode);
        var otherKey = Path.Combine(work.FullName, "other.vkey");
        await File.WriteAllTextAsync(otherKey, Ed25519NoteSigner.Generate(AuditServer.Origin).VerifierKey.ToString());

        var wrong = await CliRunner.RunAsync("report", "verify", file, "--verifier-key", otherKey);
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith("FAILED: signature:", wrong.Output);

        var badKey = Path.Combine(work.FullName, "bad.vkey");
        await File.WriteAllTextAsync(badKey, "not a key");
        var usage = await CliRunner.RunAsync("report", "verify", file, "--verifier-key", badKey);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--verifier-key", usage.Error);
    }
}
