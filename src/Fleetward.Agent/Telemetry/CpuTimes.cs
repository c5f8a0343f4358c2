using System.Globalization;

namespace Fleetward.Agent.Telemetry;

/// <summary>
/// Cumulative CPU time from the aggregate <c>cpu</c> line of <c>/proc/stat</c> (proc(5)), in clock ticks.
/// Usage is only meaningful as the difference of two readings.
/// </summary>
public sealed record CpuTimes(ulong User, ulong Nice, ulong System, ulong Idle, ulong IoWait, ulong Irq, ulong SoftIrq, ulong Steal)
{
    /// <summary>Idle time including time waiting for I/O, which the CPU could have spent on work.</summary>
    public ulong IdleTotal => Idle + IoWait;

    /// <summary>All accounted time; guest time is already inside user time (proc(5)), so it is not added.</summary>
    public ulong Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;

    /// <summary>Busy fraction (0..1) between <paramref name="earlier"/> and this reading, or null when no tick passed.</summary>
    public double? UsageSince(CpuTimes earlier)
    {
        if (Total <= earlier.Total)
        {
            return null;
        }
        var total = (double)(Total - earlier.Total);
        var idle = IdleTotal >= earlier.IdleTotal ? IdleTotal - earlier.IdleTotal : 0;
        return Math.Clamp(1.0 - idle / total, 0.0, 1.0);
    }

    public static CpuTimes Parse(string procStat)
    {
        foreach (var line in procStat.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0] != "cpu")
            {
                continue;
            }
            if (fields.Length < 5)
            {
                throw new FormatException($"/proc/stat: cpu line has {fields.Length - 1} fields, expected at least 4");
            }
            ulong Field(int index) => index < fields.Length
                ? ulong.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new FormatException($"/proc/stat: cpu field {index} '{fields[index]}' is not a number")
                : 0;
            return new CpuTimes(Field(1), Field(2), Field(3), Field(4), Field(5), Field(6), Field(7), Field(8));
        }
        throw new FormatException("/proc/stat: no aggregate cpu line");
    }
}
