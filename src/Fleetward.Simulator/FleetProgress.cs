namespace Fleetward.Simulator;

/// <summary>What happened to one virtual robot, as the demo narrates it.</summary>
public enum FleetEventKind
{
    Enrolled,
    FirstCheckIn,
    InstallStarted,
    InstallSucceeded,
    InstallFailed,
    RolledBack,
    Quarantined,
    Released,

    /// <summary>The agent refused something (a command, an artifact, a downgrade) or the server refused the robot.</summary>
    Refused,

    /// <summary>A step failed for another reason (server unreachable, rate-limited); the agent backs off and retries.</summary>
    Error,
}

/// <summary>One change in a robot's progress.</summary>
public sealed record FleetEvent(DateTimeOffset At, string DeviceId, FleetEventKind Kind, string? Detail = null);

/// <summary>
/// Where the fleet stands, for progress bars: device counts per state (each robot counted once in each gauge) and
/// running totals. <see cref="Installing"/> and <see cref="Quarantined"/> are current; <see cref="Succeeded"/>,
/// <see cref="RolledBack"/> and <see cref="Failed"/> count robots whose latest install ended that way.
/// </summary>
public sealed record FleetCounters(
    int Devices,
    int Enrolled,
    int CheckedIn,
    int Installing,
    int Succeeded,
    int RolledBack,
    int Failed,
    int Quarantined,
    long Refused,
    long CheckIns,
    long TelemetryReports,
    long Errors);

/// <summary>
/// Collects the fleet's progress: raises <see cref="Changed"/> for every robot event (from the simulator's worker
/// threads: handlers must be quick and thread-safe) and keeps the totals that <see cref="FleetCounters"/> reports.
/// </summary>
public sealed class FleetProgress
{
    private long _refused, _checkIns, _reports, _errors;
    private readonly LatencyHistogram _lateness = new(), _runTime = new();

    public event Action<FleetEvent>? Changed;

    public long Refused => Interlocked.Read(ref _refused);
    public long CheckIns => Interlocked.Read(ref _checkIns);
    public long TelemetryReports => Interlocked.Read(ref _reports);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>How late robots ran after they were due: a fleet the machine sustains keeps this near zero.</summary>
    public LatencyHistogram Lateness => _lateness;

    /// <summary>How long one robot's due steps took (its HTTPS calls and local work).</summary>
    public LatencyHistogram RunTime => _runTime;

    internal void CountCheckIn() => Interlocked.Increment(ref _checkIns);

    internal void CountReport() => Interlocked.Increment(ref _reports);

    internal void Raise(FleetEvent change)
    {
        if (change.Kind == FleetEventKind.Refused) Interlocked.Increment(ref _refused);
        if (change.Kind == FleetEventKind.Error) Interlocked.Increment(ref _errors);
        Changed?.Invoke(change);
    }
}

/// <summary>
/// A lock-free latency histogram with power-of-two millisecond buckets (up to about 9 hours), for percentiles in load
/// reports without keeping every sample.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Buckets = 26;
    private readonly long[] _counts = new long[Buckets];
    private long _count;
    private long _maxTicks;

    public long Count => Interlocked.Read(ref _count);

    public TimeSpan Max => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks));

    public void Record(TimeSpan value)
    {
        var ticks = Math.Max(0, value.Ticks);
        var bucket = Math.Min(Buckets - 1, ticks < TimeSpan.TicksPerMillisecond ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(ticks / TimeSpan.TicksPerMillisecond)));
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Increment(ref _count);
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, seen) != seen)
        {
        }
    }

    /// <summary>The upper edge of the bucket holding the <paramref name="quantile"/> (0..1): an upper bound within a factor of two.</summary>
    public TimeSpan Percentile(double quantile)
    {
        var total = Count;
        if (total == 0) return TimeSpan.Zero;
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen < rank) continue;
            var upperEdge = TimeSpan.FromMilliseconds(1L << i);
            return upperEdge < Max ? upperEdge : Max;
        }
        return Max;
    }
}
