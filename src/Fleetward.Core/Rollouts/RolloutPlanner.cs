using Fleetward.Core.Policy;

namespace Fleetward.Core.Rollouts;

/// <summary>Why the planner did or did not assign a device; each has a stable code (<see cref="AssignmentVerdicts.ToCode"/>).</summary>
public enum AssignmentVerdict
{
    Assign,
    RolloutNotRunning,
    NotSelected,
    AlreadyOnRelease,
    WouldDowngrade,
    RingNotOpen,
    GateRefused,
    OutsideMaintenanceWindow,
    RateLimited,
}

/// <summary>Stable codes of assignment verdicts, as audited and shown to operators.</summary>
public static class AssignmentVerdicts
{
    public static string ToCode(this AssignmentVerdict verdict) => verdict switch
    {
        AssignmentVerdict.Assign => "assign",
        AssignmentVerdict.RolloutNotRunning => "rollout-not-running",
        AssignmentVerdict.NotSelected => "not-selected",
        AssignmentVerdict.AlreadyOnRelease => "already-on-release",
        AssignmentVerdict.WouldDowngrade => "would-downgrade",
        AssignmentVerdict.RingNotOpen => "ring-not-open",
        AssignmentVerdict.GateRefused => "gate-refused",
        AssignmentVerdict.OutsideMaintenanceWindow => "outside-maintenance-window",
        AssignmentVerdict.RateLimited => "rate-limited",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };
}

/// <summary>
/// The planner's answer for one device. <see cref="Bucket"/> and <see cref="RingIndex"/> are always filled
/// (so the API can say which ring a device will be in); <see cref="Gate"/> holds the refusal reasons when the gate refused.
/// </summary>
public readonly record struct AssignmentDecision(AssignmentVerdict Verdict, int Bucket, int RingIndex, GateDecision? Gate)
{
    public bool ShouldAssign => Verdict == AssignmentVerdict.Assign;
}

/// <summary>One device the planner picked for assignment now.</summary>
public readonly record struct PlannedAssignment(string DeviceId, int RingIndex, int Bucket, string? PreviousVersion);

/// <summary>
/// Decides which devices belong to which ring and which may be assigned now. Works on streams of
/// <see cref="DeviceFacts"/> without per-device allocations, so planning over a million devices is one pass.
/// The rules, in order: the rollout is running (or completed, for stragglers); the device is selected, not already on the release, and runs no
/// higher security version than the release (the device's TUF client refuses a downgrade anyway; the server does
/// not even ask); its ring is open; the zero-trust gate allows it; a maintenance window is open (or a security release bypasses
/// them); the rate limit has room.
/// </summary>
public sealed class RolloutPlanner
{
    private readonly RolloutDefinition _definition;
    private readonly RolloutCohort _cohort;
    private readonly int[] _bucketLimits;

    public RolloutPlanner(RolloutDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition.EnsureValid();
        _cohort = new RolloutCohort(definition.Id);
        _bucketLimits = Enumerable.Range(0, definition.Rings.Count).Select(definition.BucketLimit).ToArray();
    }

    public RolloutDefinition Definition => _definition;

    public int BucketOf(string deviceId) => _cohort.BucketOf(deviceId);

    /// <summary>The ring a bucket falls in: the first ring whose limit exceeds it.</summary>
    public int RingOfBucket(int bucket)
    {
        if ((uint)bucket >= RolloutDefinition.BucketCount)
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "bucket must be in [0, 10000)");
        var ring = 0;
        while (bucket >= _bucketLimits[ring])
            ring++;
        return ring;
    }

    public int RingOf(string deviceId) => RingOfBucket(BucketOf(deviceId));

    /// <summary>True when the planner would target the device at all (selected, not on the release, no downgrade).</summary>
    public bool Targets(in DeviceFacts device) => TargetVerdict(device) == AssignmentVerdict.Assign;

    /// <summary>Targeted devices per ring (not cumulative): the ring targets <see cref="StartRollout"/> needs.</summary>
    public int[] CountRings(IEnumerable<DeviceFacts> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var counts = new int[_bucketLimits.Length];
        foreach (var device in devices)
        {
            if (Targets(device))
                counts[RingOfBucket(_cohort.BucketOf(device.Id))]++;
        }
        return counts;
    }

    /// <summary>Ids of the targeted devices of ring <paramref name="ringIndex"/>, in input order (the first ring's canaries, for example).</summary>
    public IEnumerable<string> SelectRing(IEnumerable<DeviceFacts> devices, int ringIndex)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (ringIndex < 0 || ringIndex >= _bucketLimits.Length)
            throw new ArgumentOutOfRangeException(nameof(ringIndex), ringIndex, $"rollout has {_bucketLimits.Length} rings");
        var low = ringIndex == 0 ? 0 : _bucketLimits[ringIndex - 1];
        var high = _bucketLimits[ringIndex];
        return Select(devices, low, high);
    }

    private IEnumerable<string> Select(IEnumerable<DeviceFacts> devices, int low, int high)
    {
        foreach (var device in devices)
        {
            if (!Targets(device))
                continue;
            var bucket = _cohort.BucketOf(device.Id);
            if (bucket >= low && bucket < high)
                yield return device.Id;
        }
    }

    /// <summary>
    /// Decides for one device at check-in. <paramref name="gate"/> is the zero-trust decision for this device now;
    /// <paramref name="assignedInLastMinute"/> counts this rollout's assignments made in the minute before <paramref name="now"/>.
    /// </summary>
    public AssignmentDecision Decide(RolloutState state, in DeviceFacts device, GateDecision gate, DateTimeOffset now, int assignedInLastMinute)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(gate);
        var bucket = _cohort.BucketOf(device.Id);
        var ring = RingOfBucket(bucket);
        var verdict = state.AcceptsAssignments
            ? CheapVerdict(state.OpenBucketLimit(_definition), device, bucket)
            : AssignmentVerdict.RolloutNotRunning;
        if (verdict == AssignmentVerdict.Assign && !gate.Allowed)
            verdict = AssignmentVerdict.GateRefused;
        if (verdict == AssignmentVerdict.Assign && !_definition.Maintenance.Permits(_definition.Release, now))
            verdict = AssignmentVerdict.OutsideMaintenanceWindow;
        if (verdict == AssignmentVerdict.Assign && RateBudget(assignedInLastMinute) <= 0)
            verdict = AssignmentVerdict.RateLimited;
        return new AssignmentDecision(verdict, bucket, ring, gate.Allowed ? null : gate);
    }

    /// <summary>
    /// The devices to assign now, for a worker that pushes assignments: streams <paramref name="unassigned"/>
    /// (devices with no assignment in this rollout) and stops once the rate limit is used up. The gate is asked
    /// only for devices that pass every cheaper rule; <paramref name="onGateRefused"/> receives each refusal for the audit.
    /// </summary>
    public IEnumerable<PlannedAssignment> PlanAssignments(
        RolloutState state,
        IEnumerable<DeviceFacts> unassigned,
        Func<DeviceFacts, GateDecision> gate,
        DateTimeOffset now,
        int assignedInLastMinute,
        Action<DeviceFacts, GateDecision>? onGateRefused = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(unassigned);
        ArgumentNullException.ThrowIfNull(gate);
        if (!state.AcceptsAssignments || !_definition.Maintenance.Permits(_definition.Release, now))
            return [];
        var budget = RateBudget(assignedInLastMinute);
        return budget <= 0 ? [] : Plan(state, unassigned, gate, budget, onGateRefused);
    }

    private IEnumerable<PlannedAssignment> Plan(
        RolloutState state, IEnumerable<DeviceFacts> unassigned, Func<DeviceFacts, GateDecision> gate, int budget, Action<DeviceFacts, GateDecision>? onGateRefused)
    {
        var openLimit = state.OpenBucketLimit(_definition);
        foreach (var device in unassigned)
        {
            var bucket = _cohort.BucketOf(device.Id);
            if (CheapVerdict(openLimit, device, bucket) != AssignmentVerdict.Assign)
                continue;
            var decision = gate(device);
            if (!decision.Allowed)
            {
                onGateRefused?.Invoke(device, decision);
                continue;
            }
            yield return new PlannedAssignment(device.Id, RingOfBucket(bucket), bucket, device.InstalledVersion);
            if (--budget == 0)
                yield break;
        }
    }

    private AssignmentVerdict CheapVerdict(int openBucketLimit, in DeviceFacts device, int bucket)
    {
        var target = TargetVerdict(device);
        if (target != AssignmentVerdict.Assign)
            return target;
        if (bucket >= openBucketLimit)
            return AssignmentVerdict.RingNotOpen;
        return AssignmentVerdict.Assign;
    }

    private AssignmentVerdict TargetVerdict(in DeviceFacts device)
    {
        if (!_definition.Selection.Matches(device))
            return AssignmentVerdict.NotSelected;
        if (string.Equals(device.InstalledVersion, _definition.Release.Version, StringComparison.Ordinal))
            return AssignmentVerdict.AlreadyOnRelease;
        if (device.InstalledSecurityVersion > _definition.Release.SecurityVersion)
            return AssignmentVerdict.WouldDowngrade;
        return AssignmentVerdict.Assign;
    }

    private int RateBudget(int assignedInLastMinute) =>
        _definition.MaxDevicesPerMinute is { } limit ? limit - Math.Max(0, assignedInLastMinute) : int.MaxValue;
}
