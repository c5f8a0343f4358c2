namespace Fleetward.Core.Rollouts;

/// <summary>Where a rollout stands. Completed, aborted and cancelled are final.</summary>
public enum RolloutStatus
{
    Draft,
    Running,
    Paused,
    Completed,
    Aborted,
    Cancelled,
}

/// <summary>
/// Where one ring stands. Active: its devices are being updated. Soaking: it met its success threshold and
/// must stay healthy for the minimum soak. AwaitingApproval: soaked, waiting for an operator.
/// Passed and failed are final.
/// </summary>
public enum RingStatus
{
    Pending,
    Active,
    Soaking,
    AwaitingApproval,
    Passed,
    Failed,
}

/// <summary>
/// Counters and timestamps of one ring. <see cref="Failed"/> includes devices that fell back to their old slot;
/// <see cref="Reverted"/> counts devices returned to their previous release on an abort.
/// The acknowledged counters are the failures an operator accepted by resuming after an error pause;
/// the error threshold only looks at failures after them.
/// </summary>
public sealed record RingProgress(
    RingStatus Status,
    int TargetDevices,
    int Succeeded,
    int Failed,
    int Reverted,
    int AcknowledgedFailed,
    int AcknowledgedFinished,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? SoakStartedAt,
    DateTimeOffset? FinishedAt)
{
    public static RingProgress Pending { get; } = new(RingStatus.Pending, 0, 0, 0, 0, 0, 0, null, null, null);

    public int Finished => Succeeded + Failed;

    /// <summary>True while the ring's devices may still be assigned or report (active, soaking or awaiting approval).</summary>
    public bool IsOpen => Status is RingStatus.Active or RingStatus.Soaking or RingStatus.AwaitingApproval;
}

/// <summary>
/// The moving part of a rollout, persisted as one row (plus one row per ring). <see cref="Version"/> grows by one
/// with every accepted change: storage writes a new state only where the stored version is still the one it
/// read (or under a row lock), so two replicas cannot both apply a change to the same state.
/// </summary>
/// <param name="CurrentRing">Index of the newest ring that has been activated (0 before start).</param>
/// <param name="StatusReason">Why the rollout paused, aborted or was cancelled, as a stable code.</param>
public sealed record RolloutState(
    string RolloutId,
    long Version,
    RolloutStatus Status,
    int CurrentRing,
    IReadOnlyList<RingProgress> Rings,
    string? StatusReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>The state of a rollout just created from <paramref name="definition"/>.</summary>
    public static RolloutState Draft(RolloutDefinition definition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.EnsureValid();
        var rings = Enumerable.Repeat(RingProgress.Pending, definition.Rings.Count).ToArray();
        return new RolloutState(definition.Id, 0, RolloutStatus.Draft, 0, rings, null, now, now, null, null);
    }

    public bool IsFinal => Status is RolloutStatus.Completed or RolloutStatus.Aborted or RolloutStatus.Cancelled;

    /// <summary>
    /// True while new devices may be assigned: when running, and after completion, so devices that were offline
    /// during the rollout still get the release when they next check in.
    /// </summary>
    public bool AcceptsAssignments => Status is RolloutStatus.Running or RolloutStatus.Completed;

    /// <summary>
    /// Devices whose cohort bucket is below this limit may be assigned; 0 when none may. Up to the newest activated
    /// ring while running; every bucket once completed.
    /// </summary>
    public int OpenBucketLimit(RolloutDefinition definition) => Status switch
    {
        RolloutStatus.Running => definition.BucketLimit(CurrentRing),
        RolloutStatus.Completed => RolloutDefinition.BucketCount,
        _ => 0,
    };
}

/// <summary>Stable text names of rollout and ring statuses, as stored and as shown in the API.</summary>
public static class RolloutStatusNames
{
    public static string ToName(this RolloutStatus status) => status switch
    {
        RolloutStatus.Draft => "draft",
        RolloutStatus.Running => "running",
        RolloutStatus.Paused => "paused",
        RolloutStatus.Completed => "completed",
        RolloutStatus.Aborted => "aborted",
        RolloutStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string ToName(this RingStatus status) => status switch
    {
        RingStatus.Pending => "pending",
        RingStatus.Active => "active",
        RingStatus.Soaking => "soaking",
        RingStatus.AwaitingApproval => "awaiting-approval",
        RingStatus.Passed => "passed",
        RingStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out RolloutStatus status)
    {
        foreach (var candidate in Enum.GetValues<RolloutStatus>())
        {
            if (candidate.ToName() == name)
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }

    public static bool TryParse(string? name, out RingStatus status)
    {
        foreach (var candidate in Enum.GetValues<RingStatus>())
        {
            if (candidate.ToName() == name)
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }
}
