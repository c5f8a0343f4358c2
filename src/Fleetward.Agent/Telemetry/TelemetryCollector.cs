using System.Globalization;

namespace Fleetward.Agent.Telemetry;

/// <summary>Where the collector reads the kernel's views and keeps its own state.</summary>
public sealed record TelemetryCollectorOptions(string StateDirectory, string ProcRoot = "/proc", string SysRoot = "/sys");

/// <summary>
/// Reads the device's state from Linux <c>/proc</c> and <c>/sys</c> (issue 7, device item 1), plus the
/// agent's own failure counters and the robot's sensors. CPU usage is the busy share since the previous
/// call, so the first snapshot has none.
/// </summary>
public sealed class TelemetryCollector(
    TelemetryCollectorOptions options,
    TimeProvider clock,
    IRobotSensors sensors,
    AgentEventCounters counters) : ISnapshotSource
{
    private readonly RebootCounter rebootCounter = new(
        Path.Combine(Directory.CreateDirectory(options.StateDirectory).FullName, "reboot-count"),
        Path.Combine(options.ProcRoot, "sys", "kernel", "random", "boot_id"));

    private CpuTimes? previousCpu;

    public SystemSnapshot Collect()
    {
        var cpu = CpuTimes.Parse(ReadProc("stat"));
        var usage = previousCpu is null ? null : cpu.UsageSince(previousCpu);
        previousCpu = cpu;

        var sockets = new List<SocketEntry>();
        sockets.AddRange(ReadSockets("tcp", TransportProtocol.Tcp));
        sockets.AddRange(ReadSockets("tcp6", TransportProtocol.Tcp));
        sockets.AddRange(ReadSockets("udp", TransportProtocol.Udp));
        sockets.AddRange(ReadSockets("udp6", TransportProtocol.Udp));

        var listeners = sockets.Where(s => s.IsListening).ToList();
        return new SystemSnapshot(
            clock.GetUtcNow(),
            usage,
            MemoryInfo.Parse(ReadProc("meminfo")),
            InterfaceCounters.Parse(ReadProc(Path.Combine("net", "dev"))),
            sockets.Where(s => s.IsConnectedOrConnectingTcp).ToList(),
            listeners,
            ProcessScan.Scan(options.ProcRoot, listeners.Select(l => l.Inode).Where(i => i != 0).ToHashSet()),
            ParseUptime(ReadProc("uptime")),
            rebootCounter.Observe(),
            ReadTemperature(),
            counters.IntegrityCheckFailures,
            counters.InstallFailures,
            sensors.Read());
    }

    /// <summary>First field of <c>/proc/uptime</c>: seconds since boot.</summary>
    public static TimeSpan ParseUptime(string procUptime)
    {
        var first = procUptime.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"/proc/uptime: '{procUptime.Trim()}' does not start with seconds");
    }

    /// <summary>Hottest thermal zone in degrees Celsius (sysfs gives millidegrees), or null without thermal zones.</summary>
    private double? ReadTemperature()
    {
        var thermal = Path.Combine(options.SysRoot, "class", "thermal");
        if (!Directory.Exists(thermal))
        {
            return null;
        }
        double? hottest = null;
        foreach (var zone in Directory.EnumerateDirectories(thermal, "thermal_zone*"))
        {
            try
            {
                if (long.TryParse(File.ReadAllText(Path.Combine(zone, "temp")).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milli))
                {
                    hottest = Math.Max(hottest ?? double.MinValue, milli / 1000.0);
                }
            }
            catch (IOException)
            {
                // A zone whose sensor is off returns an I/O error on read; skip it.
            }
        }
        return hottest;
    }

    private IReadOnlyList<SocketEntry> ReadSockets(string table, TransportProtocol protocol)
    {
        var path = Path.Combine(options.ProcRoot, "net", table);
        // A kernel without IPv6 has no tcp6/udp6 tables.
        return File.Exists(path) ? SocketTable.Parse(File.ReadAllText(path), protocol, BitConverter.IsLittleEndian) : [];
    }

    private string ReadProc(string relative) => File.ReadAllText(Path.Combine(options.ProcRoot, relative));
}
