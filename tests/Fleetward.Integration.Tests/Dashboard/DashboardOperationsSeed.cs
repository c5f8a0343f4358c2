using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Policy;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Core.Telemetry;
using Fleetward.Server;
using Fleetward.Server.Detection;
using Fleetward.Server.Rollouts;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Integration.Tests.Dashboard;

/// <summary>
/// Real operations data for the browser test, made through the running server's own services: a canary rollout
/// whose devices check in through <see cref="CheckInService"/> (most succeed, some fall back to their old slot, some
/// are still downloading), and a Mirai-like incident raised by ingesting telemetry through
/// <see cref="TelemetryIngestService"/>.
/// </summary>
public static class DashboardOperationsSeed
{
    public const string RolloutId = "rover-fw-2-4";
    public const string InfectedDevice = "robot-0001";

    public const string CompletedRolloutId = "drone-fw-1-9";

    /// <summary>
    /// A finished drone rollout (one ring, every device succeeded) and a running rover canary whose first ring has
    /// devices that succeeded, fell back to their old slot and are still downloading.
    /// </summary>
    public static async Task RolloutsAsync(FleetwardServer server, IFleetStore store)
    {
        await RolloutAsync(server, store, CompletedRolloutId, new ReleaseReference("drone-firmware", "1.9.0", 4, ReleaseChannel.Security), "drone-m4",
            [new RingDefinition(100m, TimeSpan.Zero, 90m, false)], "1.8.2", everyoneSucceeds: true);
        await server.Services.GetRequiredService<RolloutTicker>().TickAsync(default);
        await RolloutAsync(server, store, RolloutId, new ReleaseReference("rover-firmware", "2.4.0", 7, ReleaseChannel.Stable), "rover-x2",
            [
                new RingDefinition(40m, TimeSpan.FromMinutes(30), 90m, false),
                new RingDefinition(70m, TimeSpan.FromHours(1), 95m, true),
                new RingDefinition(100m, TimeSpan.Zero, 95m, false),
            ], "2.3.1", everyoneSucceeds: false);
    }

    private static async Task RolloutAsync(FleetwardServer server, IFleetStore store, string id, ReleaseReference release, string model,
        IReadOnlyList<RingDefinition> rings, string fromVersion, bool everyoneSucceeds)
    {
        var now = DateTimeOffset.UtcNow;
        var definition = new RolloutDefinition(
            id,
            release,
            new DeviceSelection(model: model),
            rings,
            new ErrorThreshold(null, 40m, 3, ErrorThresholdAction.Pause),
            null,
            TimeSpan.FromMinutes(30),
            1,
            new MaintenancePolicy([new MaintenanceWindow(CronSchedule.Parse("0 */6 * * *"), TimeSpan.FromHours(6), TimeZoneInfo.Utc)], true));
        await using (var work = await store.BeginAsync())
        {
            await work.Rollouts.InsertAsync(definition, RolloutState.Draft(definition, now));
            await work.CommitAsync();
        }
        await server.Services.GetRequiredService<RolloutService>().StartAsync(id, "token:seed", null, default);

        var checkIn = server.Services.GetRequiredService<CheckInService>();
        List<Device> devices;
        await using (var read = await store.ReadAsync())
        {
            devices = [.. await read.Devices.ListAsync(new DeviceQuery(Limit: 1000, State: DeviceLifecycleState.Active, Model: model))];
        }
        var assigned = 0;
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            var credential = new DeviceCredential("01" + i.ToString("x8"), device.Id, now.AddDays(-1), now.AddDays(365), false);
            var installed = new InstalledSoftware(release.Id, fromVersion, release.SecurityVersion - 1, "a");
            var answer = (await checkIn.CheckInAsync(device, credential, new CheckInReport(installed, "healthy"), default)).Instruction;
            if (answer.Kind != "install")
            {
                continue;
            }
            // Of every five devices given the release: three succeed, one is still downloading, one falls back to its old slot.
            var behaviour = everyoneSucceeds ? 0 : assigned++ % 5;
            var phase = behaviour == 3 ? "downloading" : "installing";
            answer = (await checkIn.CheckInAsync(device, credential, new CheckInReport(installed, "healthy", new AssignmentReport(id, phase, answer.Attempt)), default)).Instruction;
            if (behaviour == 3 || answer.Kind != "install")
            {
                continue;
            }
            var report = behaviour == 4
                ? new AssignmentReport(id, "rolled-back", answer.Attempt, "health check failed after 3 boots")
                : new AssignmentReport(id, "succeeded", answer.Attempt);
            var after = behaviour == 4 ? installed : new InstalledSoftware(release.Id, release.Version, release.SecurityVersion, "b");
            await checkIn.CheckInAsync(device, credential, new CheckInReport(after, "healthy", report), default);
        }
    }

    public const string RecoveredDevice = "robot-0008";

    /// <summary>
    /// Two Mirai-like infections: <see cref="RecoveredDevice"/> was released from quarantine with a reason (its incident
    /// recovered), <see cref="InfectedDevice"/> is still contained.
    /// </summary>
    public static async Task MiraiIncidentsAsync(FleetwardServer server, IFleetStore store)
    {
        var recovered = await MiraiIncidentAsync(server, store, RecoveredDevice);
        var release = await server.Services.GetRequiredService<IncidentService>().RunPlaybookAsync(RecoveredDevice, Core.Incidents.ResponseAction.ReleaseFromQuarantine,
            recovered, "token:seed", "re-imaged from the golden image, credentials rotated", default);
        Assert.True(release.Succeeded, release.Reason);
        await MiraiIncidentAsync(server, store, InfectedDevice);
    }

    /// <summary>Ten minutes of normal telemetry from the device, then a telnet scan of 40 addresses; returns the incident id.</summary>
    private static async Task<string> MiraiIncidentAsync(FleetwardServer server, IFleetStore store, string deviceId)
    {
        var now = DateTimeOffset.UtcNow;
        Device device;
        await using (var read = await store.ReadAsync())
        {
            device = (await read.Devices.GetAsync(deviceId))!;
        }
        var rng = new Random(7);
        var reports = Enumerable.Range(0, 10)
            .Select(i => Report(deviceId, i + 1, now.AddMinutes(i - 10), 8 + rng.NextDouble() * 10, 310_000_000 + rng.Next(20_000_000), 40_000 + rng.Next(30_000)))
            .ToList();
        var rngScan = new Random(40);
        reports.Add(Report(deviceId, 11, now.AddSeconds(-5), 96, 420_000_000, 2_400_000) with
        {
            TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }, .. Enumerable.Range(0, 40).Select(_ => new TcpConnection
            {
                RemoteAddress = $"{rngScan.Next(1, 224)}.{rngScan.Next(256)}.{rngScan.Next(256)}.{rngScan.Next(1, 255)}",
                RemotePort = rngScan.Next(10) < 9 ? 23 : 2323,
                State = TcpConnectionState.SynSent,
            })],
        });
        var result = await server.Services.GetRequiredService<TelemetryIngestService>()
            .IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = reports }), default);
        Assert.True(result.Accepted, result.Error?.ToString());
        return Assert.Single(result.IncidentsOpened).Id;
    }

    private static TelemetryReport Report(string deviceId, long sequence, DateTimeOffset at, double cpu, long memory, long bytesIn) => new()
    {
        DeviceId = deviceId,
        Sequence = sequence,
        SampledAt = at,
        IntervalSeconds = 60,
        CpuPercent = cpu,
        MemoryUsedBytes = memory,
        MemoryTotalBytes = 1_000_000_000,
        Network = new NetworkCounters { BytesIn = bytesIn, BytesOut = bytesIn / 2, PacketsIn = 80, PacketsOut = 110 },
        TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
        Listeners = [new ListeningSocket { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
        ProcessCount = 85,
        UptimeSeconds = 86_400 + sequence * 60,
        BootCount = 3,
    };
}
