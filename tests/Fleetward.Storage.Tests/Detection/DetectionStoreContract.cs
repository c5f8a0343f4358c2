using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;

namespace Fleetward.Storage.Tests.Detection;

/// <summary>The detection half of the storage contract (telemetry, snapshots, incidents, commands, SIEM outbox), on both engines.</summary>
public abstract class DetectionStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    [Fact]
    public async Task Latest_telemetry_keeps_the_newest_sequence_and_history_is_bounded()
    {
        await using (var uow = await Store.BeginAsync())
        {
            for (var i = 1; i <= ITelemetryRepository.MaxHistoryPerDevice + 5; i++)
            {
                await uow.Telemetry.RecordAsync(Report("d1", i), T0.AddMinutes(i));
            }
            await uow.Telemetry.RecordAsync(Report("d1", 3), T0.AddHours(9));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var latest = await read.Telemetry.GetLatestAsync("d1");
        Assert.NotNull(latest);
        Assert.Equal(ITelemetryRepository.MaxHistoryPerDevice + 5, latest.Sequence);
        Assert.Equal(latest.Sequence, latest.Report.Sequence);
        Assert.Equal(T0.AddMinutes(latest.Sequence), latest.ReceivedAt);
        var points = await read.Telemetry.ListRecentAsync("d1", ITelemetryRepository.MaxHistoryPerDevice);
        Assert.Equal(ITelemetryRepository.MaxHistoryPerDevice, points.Count);
        Assert.Equal(6, points[0].Sequence);
        Assert.Equal(latest.Sequence, points[^1].Sequence);
        Assert.Equal(2, points[^1].TcpConnections);
        Assert.Null(await read.Telemetry.GetLatestAsync("other"));
    }

    [Fact]
    public async Task Detection_snapshots_replace_the_previous_one()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.DetectionSnapshots.SaveDeviceAsync(new DeviceDetectionSnapshot("d1", 5, T0, [new BaselineSnapshot(TelemetryMetric.CpuPercent, [1f, 2f])]), T0);
            await uow.DetectionSnapshots.SaveDeviceAsync(new DeviceDetectionSnapshot("d1", 9, T0.AddMinutes(4), [new BaselineSnapshot(TelemetryMetric.CpuPercent, [3f])]), T0);
            await uow.DetectionSnapshots.SaveModelAsync(new ModelBaselineSnapshot("rover", [new BaselineSnapshot(TelemetryMetric.PowerWatts, [7f])]), T0);
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var device = Assert.Single(await read.DetectionSnapshots.ListDevicesAsync());
        Assert.Equal(9, device.LastSequence);
        Assert.Equal(T0.AddMinutes(4), device.LastSampledAt);
        Assert.Equal([3f], device.Baselines[0].Values);
        var model = Assert.Single(await read.DetectionSnapshots.ListModelsAsync());
        Assert.Equal(TelemetryMetric.PowerWatts, model.Baselines[0].Metric);
    }

    [Fact]
    public async Task Incident_round_trips_with_timeline_signals_and_actions()
    {
        var incident = Incident.Open("inc-001", Finding("d1", DetectionCauses.MiraiLike, "telnet-scan"))
            .Merge(Finding("d1", DetectionCauses.MiraiLike, "deleted-executable") with { Severity = DetectionSeverity.Critical });
        incident = incident.Contain(T0.AddMinutes(1), "fleetward:playbook", "device quarantined").Incident!;
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Incidents.InsertAsync(incident);
            await uow.Incidents.RecordActionAsync(new IncidentActionRecord(incident.Id, ResponseAction.Quarantine, T0.AddMinutes(1), "fleetward:playbook"));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var stored = await read.Incidents.GetAsync("inc-001");
        Assert.NotNull(stored);
        Assert.Equal(incident.Status, stored.Status);
        Assert.Equal(DetectionSeverity.Critical, stored.Severity);
        Assert.Equal(incident.Signals, stored.Signals);
        Assert.Equal(incident.Timeline, stored.Timeline);
        Assert.Equal(incident.ContainedAt, stored.ContainedAt);
        Assert.Equal(2, stored.DetectionCount);
        var open = await read.Incidents.FindOpenAsync("d1", DetectionCauses.MiraiLike);
        Assert.NotNull(open);
        Assert.Equal([ResponseAction.Quarantine], open.ActionsTaken);
        Assert.Null(await read.Incidents.FindOpenAsync("d1", DetectionCauses.Tamper));
    }

    [Fact]
    public async Task Only_one_incident_per_device_and_cause_may_be_open()
    {
        var first = Incident.Open("inc-001", Finding("d1", DetectionCauses.Tamper, "tamper-switch"));
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Incidents.InsertAsync(first);
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => uow.Incidents.InsertAsync(first with { Id = "inc-002" }));
        }

        await using (var uow = await Store.BeginAsync())
        {
            Assert.True(await uow.Incidents.UpdateAsync(first.Recover(T0.AddHours(1), "token:t1", "fixed").Incident!));
            await uow.Incidents.InsertAsync(first with { Id = "inc-002" });
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(["inc-002", "inc-001"], (await read.Incidents.ListAsync(new IncidentQuery())).Select(i => i.Id));
        Assert.Equal(["inc-002"], (await read.Incidents.ListAsync(new IncidentQuery(OpenOnly: true))).Select(i => i.Id));
        Assert.Equal(["inc-001"], (await read.Incidents.ListAsync(new IncidentQuery(Status: IncidentStatus.Recovered))).Select(i => i.Id));
        Assert.Equal(["inc-001"], (await read.Incidents.ListAsync(new IncidentQuery(BeforeId: "inc-002", DeviceId: "d1"))).Select(i => i.Id));
        Assert.Empty(await read.Incidents.ListAsync(new IncidentQuery(DeviceId: "d2")));
        Assert.Equal(["inc-002"], (await read.Incidents.ListOpenForDeviceAsync("d1")).Select(i => i.Id));
    }

    [Fact]
    public async Task Commands_are_outstanding_until_expiry_or_outcome_and_only_their_device_may_report()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.DeviceCommands.InsertAsync(Command("c-1", "d1", T0));
            await uow.DeviceCommands.InsertAsync(Command("c-2", "d1", T0.AddMinutes(1)));
            await uow.DeviceCommands.InsertAsync(Command("c-3", "d2", T0));
            await uow.DeviceCommands.MarkDeliveredAsync(["c-1"], T0.AddMinutes(2));
            Assert.False(await uow.DeviceCommands.RecordOutcomeAsync("d2", "c-1", DeviceCommandStatus.Completed, "ok", T0.AddMinutes(3)));
            Assert.True(await uow.DeviceCommands.RecordOutcomeAsync("d1", "c-1", DeviceCommandStatus.Refused, "expired", T0.AddMinutes(3)));
            Assert.False(await uow.DeviceCommands.RecordOutcomeAsync("d1", "c-1", DeviceCommandStatus.Completed, "again", T0.AddMinutes(4)));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var c1 = await read.DeviceCommands.GetAsync("c-1");
        Assert.NotNull(c1);
        Assert.Equal(DeviceCommandStatus.Refused, c1.Status);
        Assert.Equal("expired", c1.Outcome);
        Assert.Equal(T0.AddMinutes(2), c1.DeliveredAt);
        Assert.Equal(T0.AddMinutes(3), c1.CompletedAt);
        Assert.Equal(["c-2"], (await read.DeviceCommands.ListOutstandingAsync("d1", T0.AddMinutes(5))).Select(c => c.Id));
        Assert.Empty(await read.DeviceCommands.ListOutstandingAsync("d1", T0.AddHours(2)));
        Assert.Equal(["c-2", "c-1"], (await read.DeviceCommands.ListForDeviceAsync("d1", 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Siem_outbox_hands_out_due_events_in_order_and_reschedules_failures()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.SiemOutbox.EnqueueAsync("syslog", "{\"n\":1}", T0);
            await uow.SiemOutbox.EnqueueAsync("syslog", "{\"n\":2}", T0);
            await uow.SiemOutbox.EnqueueAsync("webhook", "{\"n\":1}", T0);
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            var due = await uow.SiemOutbox.ListDueAsync("syslog", T0, 10);
            Assert.Equal(["{\"n\":1}", "{\"n\":2}"], due.Select(e => e.EventJson));
            await uow.SiemOutbox.DeleteAsync(due[0].Id);
            await uow.SiemOutbox.RescheduleAsync(due[1].Id, T0.AddSeconds(30), "connection refused");
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Empty(await read.SiemOutbox.ListDueAsync("syslog", T0.AddSeconds(29), 10));
        var retried = Assert.Single(await read.SiemOutbox.ListDueAsync("syslog", T0.AddSeconds(30), 10));
        Assert.Equal(1, retried.Attempts);
        Assert.Equal("connection refused", retried.LastError);
        Assert.Equal(1, await read.SiemOutbox.CountAsync("webhook"));
    }

    private static TelemetryReport Report(string deviceId, long sequence) => new()
    {
        DeviceId = deviceId,
        Sequence = sequence,
        SampledAt = T0.AddMinutes(sequence),
        IntervalSeconds = 60,
        CpuPercent = 12.5,
        MemoryUsedBytes = 100,
        MemoryTotalBytes = 1000,
        Network = new NetworkCounters { BytesIn = 10, BytesOut = 20, PacketsIn = 1, PacketsOut = 2 },
        TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.1", RemotePort = 443 }, new TcpConnection { RemoteAddress = "10.0.0.2", RemotePort = 443 }],
        ProcessCount = 50,
        UptimeSeconds = 100,
        BootCount = 1,
    };

    private static DetectionFinding Finding(string deviceId, string cause, string signal) =>
        new(deviceId, cause, signal, DetectionSeverity.High, $"{signal} on {deviceId}", T0, T0.AddSeconds(30), 1, [new DetectionEvidence("port", "23")]);

    private static StoredDeviceCommand Command(string id, string deviceId, DateTimeOffset issued) =>
        new(id, deviceId, DeviceCommandKind.Isolate, null, "{}", DeviceCommandStatus.Pending, issued, issued.AddHours(1), null, null, null);
}

public sealed class SqliteDetectionStoreContract() : DetectionStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresDetectionStoreContract() : DetectionStoreContract(new PostgresTestStoreFactory());
