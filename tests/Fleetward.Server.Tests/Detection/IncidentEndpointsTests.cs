using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;

namespace Fleetward.Server.Tests.Detection;

/// <summary>The operator incident API over HTTPS: roles, problem details, and that every action is carried out and audited.</summary>
public sealed class IncidentEndpointsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Auditor_lists_and_reads_incidents_with_timeline_and_time_to_detect()
    {
        await SeedAsync("rover-1", "inc_0001");
        using var auditor = _server.OperatorClient(OperatorRole.Auditor);

        var page = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/incidents?open=true&device=rover-1");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("inc_0001", item.GetProperty("id").GetString());
        Assert.Equal("mirai-like", item.GetProperty("cause").GetString());
        Assert.Equal(1, page.GetProperty("responseTimes").GetProperty("incidents").GetInt32());

        var detail = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/incidents/inc_0001");
        Assert.Equal("detected", detail.GetProperty("status").GetString());
        Assert.Equal(30, detail.GetProperty("timeToDetectSeconds").GetDouble());
        Assert.Equal("detected", detail.GetProperty("timeline")[0].GetProperty("kind").GetString());

        await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/incidents/inc_none"), HttpStatusCode.NotFound, "not-found");
        var bad = await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/incidents?status=open"), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("status", bad.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await auditor.PostAsync("/api/v1/incidents/inc_0001/contain", null), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient(OperatorRole.Provisioner).GetAsync("/api/v1/incidents"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient().GetAsync("/api/v1/incidents"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Contain_quarantines_the_device_queues_isolate_and_resolve_closes_the_incident()
    {
        await SeedAsync("rover-1", "inc_0001");
        using var operatorClient = _server.OperatorClient(OperatorRole.Operator);

        var contained = await operatorClient.PostAsJsonAsync("/api/v1/incidents/inc_0001/contain", new { reason = "scanning telnet" });
        Assert.Equal(HttpStatusCode.OK, contained.StatusCode);
        var incident = await contained.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("contained", incident.GetProperty("status").GetString());
        Assert.Contains(incident.GetProperty("actions").EnumerateArray(), a => a.GetProperty("action").GetString() == "quarantine");
        await using (var read = await _server.Store.ReadAsync())
        {
            Assert.Equal(DeviceLifecycleState.Quarantined, (await read.Devices.GetAsync("rover-1"))!.State);
            Assert.Contains(await read.DeviceCommands.ListOutstandingAsync("rover-1", _server.Clock.GetUtcNow()), c => c.Kind == DeviceCommandKind.Isolate);
        }
        await ProblemAssert.IsProblemAsync(await operatorClient.PostAsJsonAsync("/api/v1/incidents/inc_0001/contain", new { reason = "again" }), HttpStatusCode.Conflict, "conflict");

        var noReason = await ProblemAssert.IsProblemAsync(await operatorClient.PostAsJsonAsync("/api/v1/incidents/inc_0001/resolve", new { reason = " " }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.reason", noReason.GetProperty("field").GetString());
        _server.Clock.Advance(TimeSpan.FromHours(2));
        var resolved = await (await operatorClient.PostAsJsonAsync("/api/v1/incidents/inc_0001/resolve", new { reason = "re-imaged" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("recovered", resolved.GetProperty("status").GetString());
        Assert.True(resolved.GetProperty("timeToRecoverSeconds").GetDouble() > 7000);

        var audit = await _server.AuditEntriesAsync();
        var token = "token:";
        Assert.Contains(audit, e => e.Type == "device.state.changed" && e.Subject == "rover-1" && e.Actor.StartsWith(token, StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Type == "device.command.issued" && e.Subject == "rover-1");
        Assert.Contains(audit, e => e.Type == "response.quarantine");
        Assert.Contains(audit, e => e.Type == "incident.contain.refused");
        Assert.Contains(audit, e => e.Type == "incident.recovered" && e.Subject == "inc_0001");
    }

    [Fact]
    public async Task Playbooks_run_through_the_executor_and_release_needs_a_reason()
    {
        await SeedAsync("rover-1", "inc_0001");
        using var operatorClient = _server.OperatorClient(OperatorRole.Operator);

        var quarantine = await (await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/quarantine", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("quarantined", quarantine.GetProperty("deviceState").GetString());
        Assert.Equal("inc_0001", quarantine.GetProperty("incidentId").GetString());
        Assert.Equal("isolate", Assert.Single(quarantine.GetProperty("commands").EnumerateArray()).GetProperty("kind").GetString());

        _server.Clock.Advance(TimeSpan.FromMinutes(1));
        var forensic = await (await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/forensic-pull", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("upload-forensic-logs", Assert.Single(forensic.GetProperty("commands").EnumerateArray()).GetProperty("kind").GetString());

        var noReason = await ProblemAssert.IsProblemAsync(await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/release", null), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.reason", noReason.GetProperty("field").GetString());
        var unknown = await ProblemAssert.IsProblemAsync(await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/reboot", null), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("action", unknown.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await operatorClient.PostAsync("/api/v1/devices/nobody/playbooks/quarantine", null), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/quarantine", null), HttpStatusCode.Conflict, "conflict");

        _server.Clock.Advance(TimeSpan.FromMinutes(1));
        var release = await (await operatorClient.PostAsJsonAsync("/api/v1/devices/rover-1/playbooks/release", new { reason = "re-imaged and verified" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("active", release.GetProperty("deviceState").GetString());
        var incident = await _server.OperatorClient(OperatorRole.Auditor).GetFromJsonAsync<JsonElement>("/api/v1/incidents/inc_0001");
        Assert.Equal("recovered", incident.GetProperty("status").GetString());
        var commands = await _server.OperatorClient(OperatorRole.Auditor).GetFromJsonAsync<JsonElement>("/api/v1/devices/rover-1/commands");
        Assert.Equal(["release", "upload-forensic-logs", "isolate"], commands.EnumerateArray().Select(c => c.GetProperty("kind").GetString()));
    }

    private async Task SeedAsync(string deviceId, string incidentId)
    {
        var now = _server.Clock.GetUtcNow();
        var finding = new DetectionFinding(deviceId, DetectionCauses.MiraiLike, "telnet-scan", DetectionSeverity.High, "telnet scan to 40 addresses",
            now.AddSeconds(-30), now, 1, []);
        await using var work = await _server.Store.BeginAsync();
        await work.Devices.InsertAsync(new Device(deviceId, "rover-x", null, [], DeviceLifecycleState.Active, now, null, null));
        await work.Incidents.InsertAsync(Incident.Open(incidentId, finding));
        await work.CommitAsync();
    }
}
