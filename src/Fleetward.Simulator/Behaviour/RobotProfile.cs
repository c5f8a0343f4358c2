using System.Net;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.Detection;

namespace Fleetward.Simulator.Behaviour;

/// <summary>How a kind of robot spends its day; decides when it works and how it moves.</summary>
public enum WorkPattern
{
    /// <summary>Mows in sessions between morning and evening, returning to its dock to charge in between.</summary>
    DaytimeMowing,

    /// <summary>Flies short delivery missions out from and back to its base during the day.</summary>
    DeliveryFlights,

    /// <summary>Works two shifts indoors (no satellite fix), pausing to charge.</summary>
    WarehouseShifts,
}

/// <summary>A service a robot runs that listens on a port; the name is the process that owns it.</summary>
public sealed record ServicePort(TransportProtocol Protocol, int Port, string ProcessName, bool LoopbackOnly = false);

/// <summary>A peer a robot talks to besides the Fleetward server (vendor cloud, telemetry broker).</summary>
public sealed record Destination(string Name, IPAddress Address, int Port);

/// <summary>
/// What one robot model looks like to the operating system and its sensors: power, CPU, memory and traffic when docked
/// and when working, how far and fast it moves, which services it runs and which peers it talks to. Every device of
/// a model varies around these figures (see <see cref="SyntheticRobot"/>).
/// </summary>
public sealed record RobotProfile(
    string Model,
    WorkPattern Pattern,
    double IdleWatts,
    double WorkingWatts,
    double IdleCpuPercent,
    double WorkingCpuPercent,
    ulong MemoryTotalBytes,
    double MemoryUsedShare,
    double IdleBytesPerSecond,
    double WorkingBytesPerSecond,
    double WorkRadiusMeters,
    double SpeedMetersPerSecond,
    double GeofenceRadiusMeters,
    int BaseProcessCount,
    IReadOnlyList<ServicePort> Services,
    IReadOnlyList<Destination> Destinations)
{
    /// <summary>Indoor robots have no satellite fix: their reports carry no position.</summary>
    public bool HasGps => WorkRadiusMeters > 0;

    /// <summary>A battery lawn mower: about 4 W on the dock, 45-60 W cutting, 0.5 m/s inside a garden-sized fence.</summary>
    public static RobotProfile LawnMower { get; } = new(
        "mower-m3", WorkPattern.DaytimeMowing,
        IdleWatts: 4, WorkingWatts: 52, IdleCpuPercent: 4, WorkingCpuPercent: 28,
        MemoryTotalBytes: 1UL << 30, MemoryUsedShare: 0.34,
        IdleBytesPerSecond: 300, WorkingBytesPerSecond: 2_500,
        WorkRadiusMeters: 60, SpeedMetersPerSecond: 0.5, GeofenceRadiusMeters: 150, BaseProcessCount: 74,
        Services:
        [
            new(TransportProtocol.Tcp, 22, "sshd"),
            new(TransportProtocol.Tcp, 8080, "mowerd"),
            new(TransportProtocol.Udp, 68, "dhclient"),
            new(TransportProtocol.Udp, 323, "chronyd", LoopbackOnly: true),
        ],
        Destinations: [new("vendor-cloud", IPAddress.Parse("203.0.113.10"), 443)]);

    /// <summary>A delivery drone: 8 W on its pad, about 350 W in flight at 12 m/s, a few kilometres from base.</summary>
    public static RobotProfile DeliveryDrone { get; } = new(
        "drone-d2", WorkPattern.DeliveryFlights,
        IdleWatts: 8, WorkingWatts: 350, IdleCpuPercent: 6, WorkingCpuPercent: 55,
        MemoryTotalBytes: 4UL << 30, MemoryUsedShare: 0.41,
        IdleBytesPerSecond: 600, WorkingBytesPerSecond: 40_000,
        WorkRadiusMeters: 1_800, SpeedMetersPerSecond: 12, GeofenceRadiusMeters: 3_000, BaseProcessCount: 112,
        Services:
        [
            new(TransportProtocol.Tcp, 22, "sshd"),
            new(TransportProtocol.Udp, 14550, "mavlink-router"),
            new(TransportProtocol.Udp, 68, "dhclient"),
            new(TransportProtocol.Udp, 323, "chronyd", LoopbackOnly: true),
        ],
        Destinations:
        [
            new("vendor-cloud", IPAddress.Parse("203.0.113.20"), 443),
            new("utm-broker", IPAddress.Parse("198.51.100.20"), 8883),
        ]);

    /// <summary>A warehouse robot: 25 W parked, about 140 W hauling, indoors without GPS, two shifts a day.</summary>
    public static RobotProfile WarehouseRobot { get; } = new(
        "amr-w1", WorkPattern.WarehouseShifts,
        IdleWatts: 25, WorkingWatts: 140, IdleCpuPercent: 12, WorkingCpuPercent: 45,
        MemoryTotalBytes: 8UL << 30, MemoryUsedShare: 0.38,
        IdleBytesPerSecond: 1_500, WorkingBytesPerSecond: 12_000,
        WorkRadiusMeters: 0, SpeedMetersPerSecond: 1.5, GeofenceRadiusMeters: 0, BaseProcessCount: 140,
        Services:
        [
            new(TransportProtocol.Tcp, 22, "sshd"),
            new(TransportProtocol.Tcp, 9090, "fleet-bridge"),
            new(TransportProtocol.Udp, 68, "dhclient"),
            new(TransportProtocol.Udp, 323, "chronyd", LoopbackOnly: true),
        ],
        Destinations:
        [
            new("vendor-cloud", IPAddress.Parse("203.0.113.30"), 443),
            new("wms", IPAddress.Parse("10.20.0.5"), 5672),
        ]);

    /// <summary>The built-in models, in the order a mixed fleet cycles through them.</summary>
    public static IReadOnlyList<RobotProfile> All { get; } = [LawnMower, DeliveryDrone, WarehouseRobot];

    /// <summary>The model's profile by name, e.g. "mower-m3".</summary>
    public static RobotProfile ByModel(string model) =>
        All.FirstOrDefault(p => p.Model == model) ?? throw new ArgumentException($"No robot profile for model '{model}'.", nameof(model));
}

/// <summary>Where robots of a simulated fleet are based; a robot's fence is centred on its base.</summary>
public sealed record RobotSite(string Name, GeoPoint Base, TimeSpan UtcOffset)
{
    public static IReadOnlyList<RobotSite> Default { get; } =
    [
        new("berlin", new GeoPoint(52.5200, 13.4050), TimeSpan.FromHours(1)),
        new("munich", new GeoPoint(48.1370, 11.5750), TimeSpan.FromHours(1)),
        new("lyon", new GeoPoint(45.7640, 4.8357), TimeSpan.FromHours(1)),
        new("porto", new GeoPoint(41.1579, -8.6291), TimeSpan.Zero),
        new("gdansk", new GeoPoint(54.3520, 18.6466), TimeSpan.FromHours(1)),
    ];
}
