using Fleetward.Core.Access;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Server.Tests.Cli;

namespace Fleetward.Server.Tests.Detection;

/// <summary>`fleetward incident list|show|contain|resolve` against a real server.</summary>
public sealed class IncidentCliTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _caFile = "";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _caFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_caFile, _server.Certificate.ExportCertificatePem());
        var now = _server.Clock.GetUtcNow();
        await using var work = await _server.Store.BeginAsync();
        await work.Devices.InsertAsync(new Device("arm-3", "arm-7", null, [], DeviceLifecycleState.Active, now, null, null));
        await work.Incidents.InsertAsync(Incident.Open("inc_0042", new DetectionFinding("arm-3", DetectionCauses.Tamper, "tamper-switch",
            DetectionSeverity.High, "enclosure opened", now.AddSeconds(-10), now, 1, [])));
        await work.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        File.Delete(_caFile);
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Operator_lists_contains_and_resolves_an_incident()
    {
        var list = await RunAsync(OperatorRole.Auditor, "incident", "list", "--open");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("inc_0042", list.Output);
        Assert.Contains("tamper", list.Output);

        var refused = await RunAsync(OperatorRole.Auditor, "incident", "contain", "inc_0042");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("forbidden", refused.Error + refused.Output, StringComparison.OrdinalIgnoreCase);

        var contained = await RunAsync(OperatorRole.Operator, "incident", "contain", "inc_0042", "--reason", "someone opened the case");
        Assert.Equal(0, contained.ExitCode);
        Assert.Contains("contained", contained.Output);
        Assert.Contains("quarantine by token:", contained.Output);

        var resolved = await RunAsync(OperatorRole.Operator, "incident", "resolve", "inc_0042", "--reason", "technician visit", "--false-positive");
        Assert.Equal(0, resolved.ExitCode);
        Assert.Contains("dismissed", resolved.Output);

        var show = await RunAsync(OperatorRole.Auditor, "incident", "show", "inc_0042", "--json");
        Assert.Contains("\"status\":\"dismissed\"", show.Output);
    }

    private Task<CliRunner.Result> RunAsync(OperatorRole role, params string[] args) =>
        CliRunner.RunAsync([.. args, "--server", _server.Server.OperatorAddress.ToString(), "--token", _server.TokenFor(role), "--ca-file", _caFile]);
}
