using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Tests.Detection;

/// <summary>Builds reports and samples for detector tests.</summary>
internal static class Reports
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
    public static readonly DeviceProfile Rover = new("rover-x");

    public static TelemetryReport At(int minute, string deviceId = "dev-1") => new()
    {
        DeviceId = deviceId,
        Sequence = minute,
        SampledAt = T0.AddMinutes(minute),
        IntervalSeconds = 60,
        CpuPercent = 10,
        MemoryUsedBytes = 100,
        MemoryTotalBytes = 1000,
        Network = new() { BytesIn = 60_000, BytesOut = 60_000, PacketsIn = 100, PacketsOut = 100 },
        ProcessCount = 50,
        UptimeSeconds = 3600 + minute * 60,
        BootCount = 1,
    };

    public static TelemetrySample Sample(TelemetryReport report, DeviceProfile? profile = null, double gpsDrift = double.NaN, int reboots = 0) =>
        new(report, profile ?? Rover, gpsDrift, reboots);

    public static DetectionSink Run<TState>(Detector<TState> detector, TState state, TelemetrySample sample) where TState : class
    {
        var sink = new DetectionSink(sample, sample.SampledAt.AddSeconds(2));
        detector.Inspect(sample, state, sink);
        return sink;
    }

    public static TelemetryReport WithConnections(this TelemetryReport r, params (string Address, int Port)[] peers) =>
        r with { TcpConnections = peers.Select(p => new TcpConnection { RemoteAddress = p.Address, RemotePort = p.Port }).ToList() };

    public static TelemetryReport WithPower(this TelemetryReport r, double watts) =>
        r with { Sensors = (r.Sensors ?? new RobotSensors()) with { PowerWatts = watts } };

    public static TelemetryReport WithGps(this TelemetryReport r, double lat, double lon, double accuracy = 3) =>
        r with { Sensors = (r.Sensors ?? new RobotSensors()) with { Gps = new GpsFix { Latitude = lat, Longitude = lon, AccuracyMeters = accuracy } } };
}
