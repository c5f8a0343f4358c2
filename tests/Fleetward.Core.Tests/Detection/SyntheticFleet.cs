using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Tests.Detection;

/// <summary>
/// A benign fleet with realistic variation, fully determined by a seed: three models (mobile rovers, stationary
/// arms, sensor hubs), per-device scale factors, work shifts with staggered starts and ramps, lunch dips, Gaussian
/// noise with occasional single-sample glitches, hourly cron spikes and uploads on hubs, GPS noise and multipath
/// glitches (reported with matching accuracy), a few maintenance reboots and sshd restarts.
/// </summary>
internal sealed class SyntheticFleet
{
    public const string Rover = "rover-x";
    public const string Arm = "arm-7";
    public const string Hub = "hub-2";

    private static readonly GeoPoint[] Sites = [new(52.52, 13.405), new(48.137, 11.575), new(53.55, 9.993), new(50.11, 8.682), new(51.05, 13.738)];
    private readonly int _seed;

    public SyntheticFleet(int devices, int seed, DateTimeOffset dayZero)
    {
        _seed = seed;
        DayZero = dayZero;
        var rng = new Random(seed);
        Devices = Enumerable.Range(0, devices).Select(i => SimDevice.Create(i, rng)).ToArray();
        _profiles = Devices.Select(d => new DeviceProfile(d.Model, [new CircleGeofence($"site-{d.Site}", Sites[d.Site], 300)])).ToArray();
    }

    private readonly DeviceProfile[] _profiles;

    public DateTimeOffset DayZero { get; }
    public IReadOnlyList<SimDevice> Devices { get; }

    /// <summary>What the server knows: the model, and a 300 m fence around the device's site.</summary>
    public DeviceProfile Profile(SimDevice d) => _profiles[d.Index];

    /// <summary>The report device <paramref name="d"/> sends at minute <paramref name="minute"/> (minute 0 is DayZero).</summary>
    public TelemetryReport Report(SimDevice d, int minute)
    {
        var rng = new SplitMix64(((ulong)(uint)_seed << 32) ^ ((ulong)(uint)d.Index << 20) ^ (ulong)(uint)(minute + 100_000));
        var jitter = rng.Next(-5, 6);
        var at = DayZero.AddMinutes(minute).AddSeconds(d.Phase + jitter);
        var minuteOfDay = ((minute % 1440) + 1440) % 1440;
        var activity = Activity(d, minuteOfDay);
        var glitch = rng.NextDouble() < 0.005 ? 1.5 : 1.0;

        double power, cpu, throughput;
        switch (d.Model)
        {
            case Rover:
                power = (12 + 33 * activity) * d.Scale * Noise(ref rng, 0.06) * glitch;
                cpu = Math.Clamp((5 + 35 * activity) * d.CpuScale * Noise(ref rng, 0.15), 0, 100);
                throughput = (2_000 + 18_000 * activity) * d.NetScale * Noise(ref rng, 0.2) * glitch;
                break;
            case Arm:
                var cycle = 1 + 0.15 * Math.Sin(2 * Math.PI * minute / 3.0 + d.Phase);
                power = (30 + 90 * activity * cycle) * d.Scale * Noise(ref rng, 0.05) * glitch;
                cpu = Math.Clamp((20 + 30 * activity) * d.CpuScale * Noise(ref rng, 0.1), 0, 100);
                throughput = 5_000 * d.NetScale * Noise(ref rng, 0.15);
                break;
            default:
                power = 5 * d.Scale * Noise(ref rng, 0.04);
                var cron = minuteOfDay % 60 == d.CronMinute;
                cpu = Math.Clamp(cron ? 60 * Noise(ref rng, 0.1) : 3 * d.CpuScale * Noise(ref rng, 0.3), 0, 100);
                throughput = cron ? 200_000 * d.NetScale * Noise(ref rng, 0.1) : 1_000 * d.NetScale * Noise(ref rng, 0.2);
                break;
        }

        var bytes = (long)(throughput * 60);
        var rebooted = d.RebootMinute is { } rm && minute >= rm;
        var bootCount = 5 + (rebooted ? 1 : 0);
        var uptime = rebooted ? (minute - d.RebootMinute!.Value) * 60.0 + 30 : 86_400.0 * 3 + (minute + 1440) * 60.0;
        var sshdPid = d.SshdRestartMinute is { } sm && minute >= sm ? 2_001 : 412;

        return new TelemetryReport
        {
            DeviceId = d.Id,
            Sequence = minute + 10_000,
            SampledAt = at,
            IntervalSeconds = 60,
            CpuPercent = cpu,
            MemoryUsedBytes = (long)(300_000_000 * Noise(ref rng, 0.05)),
            MemoryTotalBytes = 1_000_000_000,
            Network = new NetworkCounters { BytesIn = bytes / 3, BytesOut = bytes - bytes / 3, PacketsIn = bytes / 3 / 800, PacketsOut = (bytes - bytes / 3) / 800 },
            TcpConnections = d.Model == Rover
                ? [new() { RemoteAddress = "10.0.0.10", RemotePort = 8443 }, new() { RemoteAddress = "10.0.5.20", RemotePort = 1883 }]
                : [new() { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
            Listeners = d.Model == Hub
                ? [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = sshdPid, ProcessName = "sshd" }, new() { Protocol = TransportProtocol.Udp, Port = 68, Pid = 300, ProcessName = "dhclient" }, new() { Protocol = TransportProtocol.Udp, Port = 123, Pid = 310, ProcessName = "chronyd" }]
                : [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = sshdPid, ProcessName = "sshd" }],
            ProcessCount = 80 + rng.Next(0, 10),
            UptimeSeconds = uptime,
            BootCount = bootCount,
            Sensors = new RobotSensors { Gps = Position(d, minute, minuteOfDay, activity, ref rng), TamperOpen = false, PowerWatts = Math.Round(power, 2) },
        };
    }

    /// <summary>Work level 0..1: a ramped shift from about 06:00 to 22:00 (each device ±1 h) with a lunch dip.</summary>
    private static double Activity(SimDevice d, int minuteOfDay)
    {
        static double Ramp(double x) => 1 / (1 + Math.Exp(-x / 6.0));
        var level = Ramp(minuteOfDay - d.ShiftStart) * Ramp(d.ShiftEnd - minuteOfDay);
        if (d.LunchDip && minuteOfDay is >= 720 and < 765) level *= 0.5;
        return level;
    }

    private static GpsFix Position(SimDevice d, int minute, int minuteOfDay, double activity, ref SplitMix64 rng)
    {
        var site = Sites[d.Site];
        double east = d.DockEast, north = d.DockNorth;
        if (d.Model == Rover && activity > 0.05)
        {
            // A Lissajous patrol inside the yard: at most about 1.4 m/s.
            var t = minute * 60.0;
            east += 120 * Math.Sin(2 * Math.PI * t / 1200 + d.Phase) * activity;
            north += 100 * Math.Sin(4 * Math.PI * t / 1200 + d.Phase) * activity;
        }
        var accuracy = 3 + 5 * rng.NextDouble();
        var errorScale = accuracy / 2;
        if (rng.NextDouble() < 0.002)
        {
            // Multipath: a bad fix, honestly reported with a poor accuracy.
            accuracy = 45;
            errorScale = 25;
        }
        east += rng.Gaussian() * errorScale;
        north += rng.Gaussian() * errorScale;
        var lat = site.Latitude + north / 111_195.08;
        var lon = site.Longitude + east / (111_195.08 * Math.Cos(site.Latitude * Math.PI / 180));
        return new GpsFix { Latitude = lat, Longitude = lon, AccuracyMeters = Math.Round(accuracy, 1) };
    }

    private static double Noise(ref SplitMix64 rng, double sigma) => Math.Max(0.05, 1 + sigma * rng.Gaussian());

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A cheap, portable, seedable generator (SplitMix64): one per (device, minute), so any sample can be regenerated.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong NextUInt64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public int Next(int minInclusive, int maxExclusive) => minInclusive + (int)(NextUInt64() % (ulong)(maxExclusive - minInclusive));

        public double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());
    }

    internal sealed record SimDevice(int Index, string Id, string Model, int Site, double Scale, double CpuScale, double NetScale,
        int ShiftStart, int ShiftEnd, bool LunchDip, int CronMinute, double Phase, double DockEast, double DockNorth,
        int? RebootMinute, int? SshdRestartMinute)
    {
        public static SimDevice Create(int i, Random rng)
        {
            var model = (i % 10) switch { < 5 => Rover, < 8 => Arm, _ => Hub };
            double LogNormal(double sigma) => Math.Exp(sigma * Gaussian(rng));
            return new SimDevice(i, $"sim-{i:D4}", model, rng.Next(Sites.Length), LogNormal(0.15), LogNormal(0.2), LogNormal(0.3),
                360 + rng.Next(-60, 61), 1320 + rng.Next(-60, 61), rng.NextDouble() < 0.6, rng.Next(60), rng.NextDouble() * 50,
                rng.Next(-40, 41), rng.Next(-40, 41),
                rng.NextDouble() < 0.03 ? rng.Next(-1440, 1440) : null,
                rng.NextDouble() < 0.05 ? rng.Next(-1440, 1440) : null);
        }
    }
}
