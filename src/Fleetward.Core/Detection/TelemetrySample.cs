using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Detection;

/// <summary>Numeric views of a report that rules and baselines can watch, named in configuration by snake_case.</summary>
public enum TelemetryMetric
{
    CpuPercent,
    MemoryPercent,
    BytesInPerSecond,
    BytesOutPerSecond,
    PacketsInPerSecond,
    PacketsOutPerSecond,
    ThroughputBytesPerSecond,
    TcpConnections,
    DistinctRemoteAddresses,
    Listeners,
    ProcessCount,
    DeletedExecutables,
    IntegrityFailures,
    InstallFailures,
    PowerWatts,
    GpsDriftMetersPerSecond,
    RebootsSincePrevious,
}

/// <summary>Stable snake_case metric names for configuration and evidence.</summary>
public static class TelemetryMetricNames
{
    private static readonly string[] Names =
        Enum.GetValues<TelemetryMetric>().Select(m => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(m.ToString())).ToArray();

    private static readonly Dictionary<string, TelemetryMetric> ByName =
        Enum.GetValues<TelemetryMetric>().ToDictionary(m => m.ToName(), m => m, StringComparer.Ordinal);

    public static string ToName(this TelemetryMetric metric) =>
        (uint)metric < (uint)Names.Length ? Names[(int)metric] : throw new ArgumentOutOfRangeException(nameof(metric), metric, null);

    public static bool TryParse(string? name, out TelemetryMetric metric) =>
        ByName.TryGetValue(name ?? "", out metric);
}

/// <summary>
/// What the server knows about a device that its reports cannot be trusted to say: its model (whose devices share a
/// population baseline) and the geofences it must stay inside (none: not fenced).
/// </summary>
public sealed record DeviceProfile(string Model, IReadOnlyList<Geofence> Geofences)
{
    public DeviceProfile(string model) : this(model, []) { }
}

/// <summary>
/// A report together with what only follows from the previous one (GPS movement, reboots in between), with every
/// metric computed once so each detector reads the same numbers. Missing values (no sensor) are NaN.
/// </summary>
public sealed class TelemetrySample
{
    private static readonly int MetricCount = Enum.GetValues<TelemetryMetric>().Length;
    private readonly double[] _values;

    public TelemetrySample(TelemetryReport report, DeviceProfile profile, double gpsDriftMetersPerSecond, int rebootsSincePrevious)
    {
        Report = report;
        Profile = profile;
        RebootsSincePrevious = rebootsSincePrevious;
        _values = new double[MetricCount];
        var interval = report.IntervalSeconds;
        _values[(int)TelemetryMetric.CpuPercent] = report.CpuPercent;
        _values[(int)TelemetryMetric.MemoryPercent] = 100.0 * report.MemoryUsedBytes / report.MemoryTotalBytes;
        _values[(int)TelemetryMetric.BytesInPerSecond] = report.Network.BytesIn / interval;
        _values[(int)TelemetryMetric.BytesOutPerSecond] = report.Network.BytesOut / interval;
        _values[(int)TelemetryMetric.PacketsInPerSecond] = report.Network.PacketsIn / interval;
        _values[(int)TelemetryMetric.PacketsOutPerSecond] = report.Network.PacketsOut / interval;
        _values[(int)TelemetryMetric.ThroughputBytesPerSecond] = (report.Network.BytesIn + report.Network.BytesOut) / interval;
        _values[(int)TelemetryMetric.TcpConnections] = report.TcpConnections.Count;
        _values[(int)TelemetryMetric.DistinctRemoteAddresses] = CountDistinctRemotes(report.TcpConnections);
        _values[(int)TelemetryMetric.Listeners] = report.Listeners.Count;
        _values[(int)TelemetryMetric.ProcessCount] = report.ProcessCount;
        _values[(int)TelemetryMetric.DeletedExecutables] = report.DeletedExecutables.Count;
        _values[(int)TelemetryMetric.IntegrityFailures] = report.IntegrityFailures.Count;
        _values[(int)TelemetryMetric.InstallFailures] = report.InstallFailures.Count;
        _values[(int)TelemetryMetric.PowerWatts] = report.Sensors?.PowerWatts ?? double.NaN;
        _values[(int)TelemetryMetric.GpsDriftMetersPerSecond] = gpsDriftMetersPerSecond;
        _values[(int)TelemetryMetric.RebootsSincePrevious] = rebootsSincePrevious;
    }

    public TelemetryReport Report { get; }
    public string DeviceId => Report.DeviceId;
    public DeviceProfile Profile { get; }
    public string Model => Profile.Model;
    public DateTimeOffset SampledAt => Report.SampledAt;
    public long Sequence => Report.Sequence;
    public int RebootsSincePrevious { get; }

    /// <summary>The metric's value, or NaN when the report does not carry it.</summary>
    public double Value(TelemetryMetric metric) => _values[(int)metric];

    private static int CountDistinctRemotes(IReadOnlyList<TcpConnection> connections)
    {
        if (connections.Count <= 1) return connections.Count;
        if (connections.Count <= 8)
        {
            // Few connections (the common case): compare pairwise instead of allocating a set.
            var distinct = 0;
            for (var i = 0; i < connections.Count; i++)
            {
                var first = true;
                for (var j = 0; j < i && first; j++) first = connections[j].RemoteAddress != connections[i].RemoteAddress;
                if (first) distinct++;
            }
            return distinct;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in connections) seen.Add(c.RemoteAddress);
        return seen.Count;
    }
}
