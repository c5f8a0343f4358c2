using System.Globalization;

namespace Fleetward.Agent.Telemetry;

/// <summary>Cumulative traffic of one network interface from <c>/proc/net/dev</c>.</summary>
public sealed record InterfaceCounters(string Name, ulong ReceivedBytes, ulong ReceivedPackets, ulong SentBytes, ulong SentPackets)
{
    public bool IsLoopback => Name == "lo";

    /// <summary>
    /// Parses <c>/proc/net/dev</c>: two header lines, then "name: 8 receive counters 8 transmit counters";
    /// old kernels print no space after the colon once the byte count is wide.
    /// </summary>
    public static IReadOnlyList<InterfaceCounters> Parse(string procNetDev)
    {
        var result = new List<InterfaceCounters>();
        foreach (var line in procNetDev.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || line.Contains('|'))
            {
                continue;
            }
            var name = line[..colon].Trim();
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 16)
            {
                throw new FormatException($"/proc/net/dev: interface {name} has {fields.Length} counters, expected 16");
            }
            ulong Field(int index) => ulong.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"/proc/net/dev: interface {name} counter {index} '{fields[index]}' is not a number");
            result.Add(new InterfaceCounters(name, Field(0), Field(1), Field(8), Field(9)));
        }
        return result;
    }
}
