using System.CommandLine;
using System.Text.Json;
using Fleetward.Cli.Commands;
using Fleetward.Core.Access;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Configuration;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>`fleetward rollout ...` against a real server: the client conventions (--server, --token, --ca-file), output and exit codes.</summary>
public sealed class RolloutCommandTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _caFile = "";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await PublishedReleases.PublishAsync(_server.Store, "fw", "2.0.0", 3, ReleaseChannel.Security, ["mower"]);
        _caFile = Path.Combine(Path.GetTempPath(), $"fleetward-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(_caFile, _server.Certificate.ExportCertificatePem());
    }

    public async Task DisposeAsync()
    {
        File.Delete(_caFile);
        await _server.DisposeAsync();
    }

    private async Task<(int Code, string Output, string Error)> RunTrustingAsync(string caFile, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = args.Concat(["--server", _server.Server.OperatorAddress.ToString(), "--token", _server.TokenFor(OperatorRole.Operator), "--ca-file", caFile]).ToArray();
        // The rollout command is the root here, as `fleetward rollout` is below the fleetward root.
        var code = await RolloutCommand.Create().Parse(all).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunTrustingAsync(_caFile, args);

    [Fact]
    public async Task Create_start_status_and_list_through_the_operator_api()
    {
        var created = await RunAsync("create", "--id", "cli-1", "--release-id", "fw", "--model", "mower", "--tag", "eu", "--rings", "10,100", "--soak", "1m", "--error-threshold", "3",
            "--on-error", "abort", "--rate", "50/min", "--install-timeout", "20m", "--retries", "2", "--window", "0 2 * * *;2h;UTC",
            "--security-bypasses-windows", "--approval", "--json");
        Assert.True(created.Code == 0, created.Error);
        var json = JsonDocument.Parse(created.Output).RootElement;
        Assert.Equal("cli-1", json.GetProperty("id").GetString());
        Assert.Equal(60, json.GetProperty("rings")[0].GetProperty("minimumSoakSeconds").GetInt64());
        Assert.True(json.GetProperty("rings")[0].GetProperty("requiresApproval").GetBoolean());
        Assert.False(json.GetProperty("rings")[1].GetProperty("requiresApproval").GetBoolean());
        Assert.Equal(3, json.GetProperty("errorThreshold").GetProperty("failedCount").GetInt32());
        Assert.Equal(50, json.GetProperty("maxDevicesPerMinute").GetInt32());
        Assert.Equal(1200, json.GetProperty("installTimeoutSeconds").GetInt64());
        Assert.Equal(7200, json.GetProperty("maintenance").GetProperty("windows")[0].GetProperty("durationSeconds").GetInt64());

        var started = await RunAsync("start", "cli-1", "--expected-version", "0");
        Assert.True(started.Code == 0, started.Error);
        Assert.StartsWith("rollout cli-1 (version 1): running", started.Output);
        // No device is registered, so the first ring has met its threshold at once and soaks.
        Assert.Contains("ring 0 (10%): soaking, 0/0 succeeded", started.Output);

        var status = await RunAsync("status", "cli-1");
        Assert.Contains("release fw 2.0.0 (security version 3, security)", status.Output);
        var list = await RunAsync("list");
        Assert.Contains("cli-1\trunning\tring 1/2\tfw 2.0.0", list.Output);
    }

    [Fact]
    public async Task Refusals_and_bad_input_have_distinct_exit_codes()
    {
        var missing = await RunAsync("pause", "nope");
        Assert.Equal(1, missing.Code);
        Assert.Contains("No rollout with id 'nope'", missing.Error);

        var invalid = await RunAsync("create", "--version", "2.0.0", "--channel", "security", "--model", "mower", "--rings", "10,50");
        Assert.Equal(1, invalid.Code);
        Assert.Contains("field $.rings[1].cumulativePercent", invalid.Error);

        var badInput = await RunAsync("create", "--release-id", "fw", "--soak", "ten minutes");
        Assert.Equal(2, badInput.Code);
        Assert.Contains("--soak", badInput.Error);

        var unpublished = await RunAsync("create", "--version", "9.9.9", "--model", "mower");
        Assert.Equal(1, unpublished.Code);
        Assert.Contains("field $.release.version", unpublished.Error);
    }

    [Fact]
    public async Task A_server_certificate_outside_the_ca_file_is_not_trusted()
    {
        var other = Path.Combine(Path.GetTempPath(), $"fleetward-other-ca-{Guid.NewGuid():N}.pem");
        using var stranger = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []);
        await File.WriteAllTextAsync(other, stranger.ExportCertificatePem());
        try
        {
            var result = await RunTrustingAsync(other, "list");
            Assert.Equal(1, result.Code);
            Assert.Contains("TLS certificate is not trusted", result.Error);
        }
        finally
        {
            File.Delete(other);
        }
    }
}
