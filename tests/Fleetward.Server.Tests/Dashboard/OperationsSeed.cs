using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Fleetward.Server.Rollouts;
using Fleetward.Server.Tests.Rollouts;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>
/// Real data for the operations pages, made through the server's own services: a started rollout whose devices
/// check in through <see cref="CheckInService"/> (some succeed, some fall back, some stall), and a Mirai-like
/// incident produced by ingesting telemetry through <see cref="TelemetryIngestService"/>.
/// </summary>
public static class OperationsSeed
{
    public const string Operator = "token:seed-operator";
    public const string RolloutId = "rollout-1";

    public static RolloutDefinition Definition(string id, string releaseId = "fw", string version = "2.0.0", bool approval = false, int devices = 0) => new(
        id,
        new ReleaseReference(releaseId, version, 2, ReleaseChannel.Stable),
        new DeviceSelection(model: "mower"),
        [new RingDefinition(50m, approval ? TimeSpan.Zero : TimeSpan.FromMinutes(30), 95m, approval), new RingDefinition(100m, TimeSpan.Zero, 95m, false)],
        new ErrorThreshold(5, null, 1, ErrorThresholdAction.Pause),
        null,
        TimeSpan.FromMinutes(30),
        0,
        new MaintenancePolicy([new MaintenanceWindow(CronSchedule.Parse("0 */6 * * *"), TimeSpan.FromHours(6), TimeZoneInfo.Utc)], true));

    public static async Task InsertAsync(TestServer server, RolloutDefinition definition)
    {
        await using var work = await server.Store.BeginAsync();
        Assert.True(await work.Rollouts.InsertAsync(definition, RolloutState.Draft(definition, server.Clock.GetUtcNow())));
        await work.CommitAsync();
    }

    /// <summary>
    /// 20 mowers; a started rollout whose first ring has devices that succeeded, fell back (failed) and are still
    /// installing. With <paramref name="approval"/> every device is healthy and the first ring ends awaiting approval.
    /// </summary>
    public static async Task<SimulatedFleet> RolloutAsync(TestServer server, bool approval = false)
    {
        var fleet = new SimulatedFleet(server.Store, server.Clock);
        await fleet.RegisterAsync(20);
        await InsertAsync(server, Definition(RolloutId, approval: approval));
        var rollouts = server.Server.Services.GetRequiredService<RolloutService>();
        await rollouts.StartAsync(RolloutId, Operator, null, default);
        if (!approval)
        {
            var devices = fleet.Devices.Values.ToList();
            devices[0].Bad = true;
            devices[1].Bad = true;
            devices[2].Stalls = true;
            devices[3].Stalls = true;
        }
        for (var round = 0; round < 3; round++)
        {
            await fleet.CheckInAllAsync();
            server.Clock.Advance(TimeSpan.FromSeconds(30));
        }
        if (approval)
        {
            await server.Server.Services.GetRequiredService<RolloutTicker>().TickAsync(default);
        }
        return fleet;
    }

    /// <summary>A device that reports normal telemetry for a few minutes, then a telnet scan: the detection opens (and contains) a Mirai-like incident.</summary>
    public static async Task<Incident> MiraiIncidentAsync(TestServer server, string deviceId = "rover-7")
    {
        var now = server.Clock.GetUtcNow();
        var device = new Device(deviceId, "rover-x", null, ["site:north"], DeviceLifecycleState.Active, now.AddDays(-1), now.AddDays(-1), now);
        await using (var work = await server.Store.BeginAsync())
        {
            await work.Devices.InsertAsync(device);
            await work.CommitAsync();
        }
        var reports = Enumerable.Range(0, 8).Select(i => Report(deviceId, i + 1, now.AddMinutes(i - 8), cpu: 10 + i % 3)).ToList();
        reports.Add(Report(deviceId, 9, now.AddSeconds(-5), cpu: 97) with { TcpConnections = TelnetScan(40) });
        var ingest = server.Server.Services.GetRequiredService<TelemetryIngestService>();
        var result = await ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = reports }), default);
        Assert.True(result.Accepted, result.Error?.ToString());
        return Assert.Single(result.IncidentsOpened);
    }

    /// <summary>An incident inserted as detected (not contained), with a summary an attacker could influence.</summary>
    public static async Task<Incident> DetectedIncidentAsync(TestServer server, string deviceId, string incidentId, string summary)
    {
        var now = server.Clock.GetUtcNow();
        var finding = new DetectionFinding(deviceId, DetectionCauses.MiraiLike, "telnet-scan", DetectionSeverity.High, summary, now.AddSeconds(-30), now, 1, []);
        var incident = Incident.Open(incidentId, finding);
        await using var work = await server.Store.BeginAsync();
        await work.Devices.InsertAsync(new Device(deviceId, "rover-x", null, [], DeviceLifecycleState.Active, now, null, null));
        await work.Incidents.InsertAsync(incident);
        await work.CommitAsync();
        return incident;
    }

    public static TelemetryReport Report(string deviceId, long sequence, DateTimeOffset at, double cpu) => new()
    {
        DeviceId = deviceId,
        Sequence = sequence,
        SampledAt = at,
        IntervalSeconds = 60,
        CpuPercent = cpu,
        MemoryUsedBytes = 300_000_000 + sequence * 1_000_000,
        MemoryTotalBytes = 1_000_000_000,
        Network = new NetworkCounters { BytesIn = 60_000 + sequence * 500, BytesOut = 90_000, PacketsIn = 80, PacketsOut = 110 },
        TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
        Listeners = [new ListeningSocket { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
        ProcessCount = 85,
        UptimeSeconds = 86_400 + sequence * 60,
        BootCount = 3,
    };

    public static IReadOnlyList<TcpConnection> TelnetScan(int targets)
    {
        var rng = new Random(targets);
        return [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }, .. Enumerable.Range(0, targets).Select(_ => new TcpConnection
        {
            RemoteAddress = $"{rng.Next(1, 224)}.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(1, 255)}",
            RemotePort = rng.Next(10) < 9 ? 23 : 2323,
            State = TcpConnectionState.SynSent,
        })];
    }

    public static async Task<StoredRollout> StoredAsync(TestServer server, string id)
    {
        await using var read = await server.Store.ReadAsync();
        return (await read.Rollouts.GetAsync(id))!;
    }
}
