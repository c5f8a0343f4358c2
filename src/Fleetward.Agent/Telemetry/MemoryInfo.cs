using System.Globalization;

namespace Fleetward.Agent.Telemetry;

/// <summary>Memory figures from <c>/proc/meminfo</c> (proc(5)), in bytes.</summary>
public sealed record MemoryInfo(ulong TotalBytes, ulong AvailableBytes)
{
    public ulong UsedBytes => TotalBytes > AvailableBytes ? TotalBytes - AvailableBytes : 0;

    /// <summary>Uses MemAvailable (Linux 3.14+); older kernels fall back to MemFree + Buffers + Cached.</summary>
    public static MemoryInfo Parse(string procMeminfo)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in procMeminfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }
            var multiplier = parts.Length > 1 && parts[1] == "kB" ? 1024UL : 1UL;
            values[line[..colon]] = value * multiplier;
        }
        if (!values.TryGetValue("MemTotal", out var total))
        {
            throw new FormatException("/proc/meminfo: no MemTotal");
        }
        var available = values.TryGetValue("MemAvailable", out var memAvailable)
            ? memAvailable
            : values.GetValueOrDefault("MemFree") + values.GetValueOrDefault("Buffers") + values.GetValueOrDefault("Cached");
        return new MemoryInfo(total, available);
    }
}
