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

    public event Action<FleetEvent>? Changed;

    public long Refused => Interlocked.Read(ref _refused);
    public long CheckIns => Interlocked.Read(ref _checkIns);
    public long TelemetryReports => Interlocked.Read(ref _reports);
    public long Errors => Interlocked.Read(ref _errors);

    internal void CountCheckIn() => Interlocked.Increment(ref _checkIns);

    internal void CountReport() => Interlocked.Increment(ref _reports);

    internal void Raise(FleetEvent change)
    {
        if (change.Kind == FleetEventKind.Refused) Interlocked.Increment(ref _refused);
        if (change.Kind == FleetEventKind.Error) Interlocked.Increment(ref _errors);
        Changed?.Invoke(change);
    }
}
