using System.Net;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.Detection;

namespace Fleetward.Simulator.Behaviour;

/// <summary>
/// One virtual robot's body: what its kernel and sensors would show at a given instant. Deterministic from the fleet
/// seed and the robot's index: its individual variation (power scale, shift times, dock spot, flight bearings) and every
/// noise draw are hashes of (seed, index, instant), so the same seed replays the same fleet. The only state carried
/// between samples is what a kernel also carries: cumulative traffic counters since boot and the boot count.
/// A benign robot follows its model's day (<see cref="WorkPattern"/>), reboots rarely (a few per hundred device-days,
/// at night), keeps the same services and peers, and never leaves its fence; drills change its
/// <see cref="Condition"/>.
/// </summary>
public sealed class SyntheticRobot
{
    private const double MetersPerDegreeLatitude = 111_195.08;
    private const double NightlyRebootProbability = 0.02;
    private const int TcpSynSent = 0x02;

    private readonly SimulationNoise _noise;
    private readonly object _gate = new();
    private readonly double _powerScale, _cpuScale, _netScale, _dockEast, _dockNorth, _phase;
    private readonly int _shiftOffsetMinutes;
    private readonly IPAddress _address;
    private readonly IPEndPoint _server;
    private RobotCondition _condition = RobotCondition.None;

    private DateTimeOffset? _lastSample;
    private DateTimeOffset _bootedAt;
    private long _reboots;
    private double _rxBytes, _txBytes, _rxPackets, _txPackets, _loopbackBytes;

    /// <param name="index">The robot's place in the fleet; with the seed it decides everything about the robot.</param>
    /// <param name="server">The Fleetward device listener the robot keeps a connection to.</param>
    /// <param name="poweredOnAt">The instant the simulation starts; the robot has then been up for some days already.</param>
    public SyntheticRobot(RobotProfile profile, RobotSite site, int index, string deviceId, ulong seed, IPEndPoint server, DateTimeOffset poweredOnAt)
    {
        Profile = profile;
        Site = site;
        Index = index;
        DeviceId = deviceId;
        _noise = new SimulationNoise(seed);
        _server = server;
        // Individual variation: constant per robot (instant -1), log-normal scales around the model's figures.
        _powerScale = Math.Exp(0.12 * _noise.Gaussian(index, -1, 1));
        _cpuScale = Math.Exp(0.18 * _noise.Gaussian(index, -1, 2));
        _netScale = Math.Exp(0.30 * _noise.Gaussian(index, -1, 3));
        _shiftOffsetMinutes = _noise.Between(index, -1, 4, -45, 46);
        _dockEast = profile.HasGps ? _noise.Between(index, -1, 5, -30, 31) : 0;
        _dockNorth = profile.HasGps ? _noise.Between(index, -1, 6, -30, 31) : 0;
        _phase = _noise.Uniform(index, -1, 7) * 2 * Math.PI;
        _address = new IPAddress([10, 64, (byte)(index / 250 % 256), (byte)(index % 250 + 2)]);
        _bootedAt = poweredOnAt - TimeSpan.FromHours(6 + 24 * 20 * _noise.Uniform(index, -1, 8));
        _reboots = _noise.Between(index, -1, 9, 3, 40);
    }

    public RobotProfile Profile { get; }
    public RobotSite Site { get; }
    public int Index { get; }
    public string DeviceId { get; }

    /// <summary>Where the robot docks or lands, a few metres off its site's base.</summary>
    public GeoPoint Dock => Offset(Site.Base, _dockEast, _dockNorth);

    /// <summary>The fence a benign robot never leaves (null for indoor robots without GPS).</summary>
    public Geofence? Geofence => Profile.HasGps ? new CircleGeofence($"{Site.Name}-{Profile.Model}", Site.Base, Profile.GeofenceRadiusMeters) : null;

    /// <summary>What drills have done to the robot; read at every sample.</summary>
    public RobotCondition Condition
    {
        get => Volatile.Read(ref _condition);
        set => Volatile.Write(ref _condition, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Boots seen so far (also counting installs that reboot into a new slot).</summary>
    public long Reboots
    {
        get { lock (_gate) return _reboots; }
    }

    /// <summary>The robot restarts at <paramref name="at"/> (an update's trial boot, a rollback): uptime and counters start over.</summary>
    public void Reboot(DateTimeOffset at)
    {
        lock (_gate) BootAt(at);
    }

    /// <summary>Work level 0..1 at <paramref name="at"/>: the robot's model pattern, shifted by its individual offsets.</summary>
    public double Activity(DateTimeOffset at)
    {
        var local = at + Site.UtcOffset;
        var day = DayNumber(local);
        var minute = local.TimeOfDay.TotalMinutes - _shiftOffsetMinutes;
        switch (Profile.Pattern)
        {
            case WorkPattern.DaytimeMowing:
                // Rainy days (one in five, per site) keep every mower of the site docked.
                if (_noise.Uniform(SiteKey, day, 20) < 0.2 || minute < 8 * 60 || minute >= 18 * 60) return 0;
                // 100-minute sessions, 40 minutes on the charger in between.
                return (minute - 8 * 60) % 140 < 100 ? 1 : 0;
            case WorkPattern.DeliveryFlights:
                return Flight(at) is { } flight && at >= flight.Start && at < flight.End ? 1 : 0;
            default:
                if (minute < 6 * 60 || minute >= 22 * 60) return 0.05;
                // A 20-minute charge every three hours, staggered per robot.
                var charging = (minute + _phase * 30) % 180 < 20;
                return charging ? 0.1 : 0.75 + 0.2 * Math.Sin(minute / 37.0 + _phase);
        }
    }

    /// <summary>The position fix at <paramref name="at"/> with its honest accuracy, or null for a robot without GPS.</summary>
    public GpsFix? Position(DateTimeOffset at)
    {
        var condition = Condition;
        if (!Profile.HasGps) return null;
        var instant = at.ToUnixTimeSeconds();
        var accuracy = 2 + 4 * _noise.Uniform(Index, instant, 30);
        var errorScale = accuracy / 2;
        if (_noise.Uniform(Index, instant, 31) < 0.002)
        {
            // Multipath near buildings: a bad fix, honestly reported with a poor accuracy.
            accuracy = 40;
            errorScale = 15;
        }
        var truth = condition.DisplacedTo ?? TruePosition(at);
        var fix = Offset(truth, _noise.Gaussian(Index, instant, 32) * errorScale, _noise.Gaussian(Index, instant, 33) * errorScale);
        return new GpsFix(Math.Round(fix.Latitude, 7), Math.Round(fix.Longitude, 7), Math.Round(accuracy, 1));
    }

    /// <summary>
    /// What the robot's kernel and sensors show at <paramref name="at"/>; the agent's own failure counters are passed
    /// in because the agent, not the body, counts them. Samples must come in time order.
    /// </summary>
    public SystemSnapshot Sample(DateTimeOffset at, long integrityCheckFailures = 0, long installFailures = 0)
    {
        var condition = Condition;
        var instant = at.ToUnixTimeSeconds();
        var activity = Activity(at);
        lock (_gate)
        {
            BenignRebootsUntil(at);
            var since = _lastSample is { } last && last > _bootedAt ? last : _bootedAt;
            var seconds = Math.Max(0, (at - since).TotalSeconds);
            _lastSample = at;

            var rate = (Profile.IdleBytesPerSecond + (Profile.WorkingBytesPerSecond - Profile.IdleBytesPerSecond) * activity)
                * _netScale * _noise.Factor(Index, instant, 10, 0.2);
            if (condition.Mirai is not null) rate += 4_000; // scanner SYNs and C2 chatter
            _rxBytes += rate * 0.35 * seconds;
            _txBytes += rate * 0.65 * seconds;
            _rxPackets += rate * 0.35 * seconds / 620;
            _txPackets += rate * 0.65 * seconds / 410;
            _loopbackBytes += 180 * seconds;

            var cpu = (Profile.IdleCpuPercent + (Profile.WorkingCpuPercent - Profile.IdleCpuPercent) * activity)
                * _cpuScale * _noise.Factor(Index, instant, 11, 0.15);
            if (condition.Mirai is not null) cpu += 12;
            var used = Profile.MemoryTotalBytes * Profile.MemoryUsedShare * (1 + 0.1 * activity) * _noise.Factor(Index, instant, 12, 0.04);
            var power = (Profile.IdleWatts + (Profile.WorkingWatts - Profile.IdleWatts) * activity)
                * _powerScale * _noise.Factor(Index, instant, 13, 0.06);
            var processes = Profile.BaseProcessCount + (int)Math.Round(6 * activity) + _noise.Between(Index, instant, 14, 0, 4);

            var deleted = new List<DeletedExecutableProcess>();
            if (condition.Mirai is { } bot)
            {
                processes += 2;
                deleted.Add(new DeletedExecutableProcess(bot.BotPid, bot.BotProcess, $"/tmp/{bot.BotProcess}"));
            }

            return new SystemSnapshot(
                at,
                Math.Clamp(cpu, 0, 100) / 100,
                new MemoryInfo(Profile.MemoryTotalBytes, Profile.MemoryTotalBytes - (ulong)Math.Min(used, Profile.MemoryTotalBytes)),
                [
                    new InterfaceCounters("lo", (ulong)_loopbackBytes, (ulong)(_loopbackBytes / 200), (ulong)_loopbackBytes, (ulong)(_loopbackBytes / 200)),
                    new InterfaceCounters(PrimaryInterface, (ulong)_rxBytes, (ulong)_rxPackets, (ulong)_txBytes, (ulong)_txPackets),
                ],
                Connections(at, activity, condition),
                Listeners(condition),
                new ProcessSummary(processes, deleted),
                at - _bootedAt,
                new RebootCount(BootId, _reboots),
                Math.Round(32 + 18 * activity + 1.5 * _noise.Gaussian(Index, instant, 15), 1),
                integrityCheckFailures,
                installFailures,
                new SensorReadings(Position(at), condition.TamperOpen, Math.Round(power, 2)));
        }
    }

    private string PrimaryInterface => Profile.Pattern switch
    {
        WorkPattern.DeliveryFlights => "wwan0",
        WorkPattern.WarehouseShifts => "eth0",
        _ => "wlan0",
    };

    /// <summary>A per-boot identifier, like /proc/sys/kernel/random/boot_id.</summary>
    private string BootId => $"{DeviceId}-boot-{_reboots}";

    /// <summary>A stable key for draws shared by every robot of a site (weather); string hashes differ per process, FNV-1a does not.</summary>
    private long SiteKey => -1 - (long)(Site.Name.Aggregate(14695981039346656037UL, (h, c) => (h ^ c) * 1099511628211UL) % 1_000_000UL);

    private IReadOnlyList<SocketEntry> Connections(DateTimeOffset at, double activity, RobotCondition condition)
    {
        var connections = new List<SocketEntry>
        {
            // The agent's kept-alive mutual TLS connection to the Fleetward device listener.
            Established(_server, 40_000 + (int)(_reboots % 20_000)),
        };
        for (var i = 0; i < Profile.Destinations.Count; i++)
        {
            var destination = Profile.Destinations[i];
            // Drones talk to the traffic broker only in flight; every other peer is always connected.
            if (i > 0 && Profile.Pattern == WorkPattern.DeliveryFlights && activity < 0.5) continue;
            connections.Add(Established(new IPEndPoint(destination.Address, destination.Port), 41_000 + i));
        }
        if (condition.Mirai is { } bot)
        {
            var instant = at.ToUnixTimeSeconds();
            for (var i = 0; i < bot.ScanFanOut; i++)
            {
                var target = new IPAddress([
                    (byte)_noise.Between(Index, instant, 100 + i * 4, 1, 224), (byte)_noise.Between(Index, instant, 101 + i * 4, 0, 256),
                    (byte)_noise.Between(Index, instant, 102 + i * 4, 0, 256), (byte)_noise.Between(Index, instant, 103 + i * 4, 1, 255)]);
                var port = i % 10 == 9 ? 2323 : 23;
                connections.Add(new SocketEntry(TransportProtocol.Tcp, new IPEndPoint(_address, 50_000 + i), new IPEndPoint(target, port), TcpSynSent, (ulong)(900_000 + i)));
            }
        }
        return connections;
    }

    private SocketEntry Established(IPEndPoint remote, int localPort) =>
        new(TransportProtocol.Tcp, new IPEndPoint(_address, localPort), remote, SocketEntry.TcpEstablished, (ulong)(100_000 + localPort));

    private IReadOnlyList<SocketEntry> Listeners(RobotCondition condition)
    {
        var listeners = new List<SocketEntry>();
        foreach (var service in Profile.Services)
        {
            var owner = ServiceOwner(service, condition);
            if (owner is null) continue;
            var local = new IPEndPoint(service.LoopbackOnly ? IPAddress.Loopback : IPAddress.Any, service.Port);
            listeners.Add(new SocketEntry(service.Protocol, local, new IPEndPoint(IPAddress.Any, 0),
                service.Protocol == TransportProtocol.Tcp ? SocketEntry.TcpListen : SocketEntry.TcpClose, owner.Value.Inode));
        }
        return listeners;
    }

    /// <summary>
    /// Which process holds a service's port: the service itself (a pid fixed per boot), or the bot that killed it.
    /// The inode identifies the socket's owner, as /proc/PID/fd links do.
    /// </summary>
    public (int Pid, string Name, ulong Inode)? ServiceOwner(ServicePort service, RobotCondition condition)
    {
        if (condition.Mirai is { } bot && service.Protocol == TransportProtocol.Tcp && service.Port == bot.KilledServicePort)
            return (bot.BotPid + 1, bot.BotProcess, (ulong)(800_000 + service.Port));
        var index = Profile.Services.ToList().IndexOf(service);
        var pid = 300 + 37 * index + (int)(_reboots * 7 % 2_000);
        return (pid, service.ProcessName, (ulong)(200_000 + pid * 8 + index));
    }

    /// <summary>Applies the benign nightly reboots scheduled between the previous sample and <paramref name="at"/>.</summary>
    private void BenignRebootsUntil(DateTimeOffset at)
    {
        var from = _lastSample ?? at;
        DateTimeOffset? latest = null;
        for (var day = DayNumber(from + Site.UtcOffset); day <= DayNumber(at + Site.UtcOffset); day++)
        {
            if (_noise.Uniform(Index, day, 40) >= NightlyRebootProbability) continue;
            var minute = _noise.Between(Index, day, 41, 2 * 60, 5 * 60);
            var rebootAt = DateTimeOffset.UnixEpoch.AddDays(day).AddMinutes(minute) - Site.UtcOffset;
            if (rebootAt > from && rebootAt <= at && rebootAt > _bootedAt) latest = rebootAt;
        }
        if (latest is { } boot) BootAt(boot);
    }

    private void BootAt(DateTimeOffset at)
    {
        _bootedAt = at;
        _reboots++;
        _rxBytes = _txBytes = _rxPackets = _txPackets = _loopbackBytes = 0;
    }

    private GeoPoint TruePosition(DateTimeOffset at)
    {
        if (Activity(at) < 0.5) return Dock;
        var t = at.ToUnixTimeSeconds();
        switch (Profile.Pattern)
        {
            case WorkPattern.DaytimeMowing:
                {
                    // A Lissajous sweep over the lawn around the dock: about 0.4-0.6 m/s.
                    var r = Profile.WorkRadiusMeters;
                    return Offset(Dock, 0.9 * r * Math.Sin(2 * Math.PI * t / 1500 + _phase), 0.7 * r * Math.Sin(4 * Math.PI * t / 1500 + _phase));
                }
            default:
                {
                    var flight = Flight(at)!.Value;
                    var outbound = (at - flight.Start).TotalSeconds;
                    var inbound = (flight.End - at).TotalSeconds;
                    var distance = Math.Min(Profile.WorkRadiusMeters, Profile.SpeedMetersPerSecond * Math.Min(outbound, inbound));
                    return Offset(Dock, distance * Math.Sin(flight.Bearing), distance * Math.Cos(flight.Bearing));
                }
        }
    }

    /// <summary>The delivery flight of the 20-minute slot containing <paramref name="at"/>, if one is scheduled (07:00-21:00 local).</summary>
    private (DateTimeOffset Start, DateTimeOffset End, double Bearing)? Flight(DateTimeOffset at)
    {
        var slot = at.ToUnixTimeSeconds() / 1200;
        var slotStart = DateTimeOffset.FromUnixTimeSeconds(slot * 1200);
        var localMinute = (slotStart + Site.UtcOffset).TimeOfDay.TotalMinutes - _shiftOffsetMinutes;
        if (localMinute < 7 * 60 || localMinute >= 21 * 60 || _noise.Uniform(Index, slot, 50) >= 0.35) return null;
        var start = slotStart.AddSeconds(_noise.Between(Index, slot, 51, 0, 120));
        var end = start.AddSeconds(_noise.Between(Index, slot, 52, 8 * 60, 18 * 60));
        return (start, end, _noise.Uniform(Index, slot, 53) * 2 * Math.PI);
    }

    private static long DayNumber(DateTimeOffset local) => (long)Math.Floor((local.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerDay);

    private static GeoPoint Offset(GeoPoint origin, double eastMeters, double northMeters) => new(
        origin.Latitude + northMeters / MetersPerDegreeLatitude,
        origin.Longitude + eastMeters / (MetersPerDegreeLatitude * Math.Cos(origin.Latitude * Math.PI / 180)));
}
