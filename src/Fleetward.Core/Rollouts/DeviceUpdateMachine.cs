namespace Fleetward.Core.Rollouts;

/// <summary>
/// Where one device stands in one rollout. Assigned through verifying are in progress; succeeded, failed,
/// rolled-back and withdrawn are final; rollback-pending means the server ordered the device back to its
/// previous release after an abort; rollback-unresponsive means it did not report back within the rollback
/// timeout: it counts as a failed rollback, yet the order stands, so a device that comes back still returns.
/// </summary>
public enum DeviceUpdateStatus
{
    Assigned,
    Downloading,
    Downloaded,
    Installing,
    Rebooting,
    Verifying,
    Succeeded,
    Failed,
    RollbackPending,
    RolledBack,
    Withdrawn,
    RollbackUnresponsive,
}

/// <summary>What a finished device contributes to its ring's counters.</summary>
public enum DeviceOutcome
{
    Succeeded,
    /// <summary>Failed after its last retry, timed out, or fell back to its old slot on its own.</summary>
    Failed,
    /// <summary>Returned to its previous release on the server's order after an abort.</summary>
    Reverted,
}

/// <summary>
/// One device's assignment to one rollout, with a timestamp per step of the current attempt.
/// <see cref="Version"/> grows with every change, for the same compare-and-set writes as the rollout row.
/// </summary>
/// <param name="Bucket">Cohort bucket in [0, 10000) that placed the device in <paramref name="RingIndex"/>.</param>
/// <param name="PreviousVersion">Release version the device ran when assigned: where a rollback returns it.</param>
/// <param name="Attempt">1 for the first attempt, growing with each retry.</param>
/// <param name="AttemptStartedAt">When the device started the current attempt (began downloading); the install timeout runs from here.</param>
public sealed record DeviceAssignment(
    string RolloutId,
    string DeviceId,
    int RingIndex,
    int Bucket,
    string? PreviousVersion,
    DeviceUpdateStatus Status,
    int Attempt,
    string? FailureReason,
    long Version,
    DateTimeOffset AssignedAt,
    DateTimeOffset StatusChangedAt,
    DateTimeOffset? AttemptStartedAt,
    DateTimeOffset? DownloadingAt,
    DateTimeOffset? DownloadedAt,
    DateTimeOffset? InstallingAt,
    DateTimeOffset? RebootingAt,
    DateTimeOffset? VerifyingAt,
    DateTimeOffset? RollbackOrderedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>A new assignment, as made when <see cref="RolloutPlanner"/> says assign.</summary>
    public static DeviceAssignment Create(string rolloutId, string deviceId, int ringIndex, int bucket, string? previousVersion, DateTimeOffset now) =>
        new(rolloutId, deviceId, ringIndex, bucket, previousVersion, DeviceUpdateStatus.Assigned, 1, null, 0,
            now, now, null, null, null, null, null, null, null, null);

    public bool IsInProgress => Status <= DeviceUpdateStatus.Verifying;

    public bool IsFinal => Status is DeviceUpdateStatus.Succeeded or DeviceUpdateStatus.Failed or DeviceUpdateStatus.RolledBack or DeviceUpdateStatus.Withdrawn;

    /// <summary>True while the server's order to return to <see cref="PreviousVersion"/> stands (pending, or unresponsive past the rollback timeout).</summary>
    public bool IsOrderedBack => Status is DeviceUpdateStatus.RollbackPending or DeviceUpdateStatus.RollbackUnresponsive;

    /// <summary>True once the device may have written the release to a slot, so an abort must roll it back.</summary>
    public bool HasStartedInstalling => Status is >= DeviceUpdateStatus.Installing and <= DeviceUpdateStatus.Succeeded;
}

/// <summary>Something reported by or decided about one device's update.</summary>
public abstract record DeviceUpdateEvent;

/// <summary>The device reports it reached <paramref name="Phase"/> (downloading … verifying, or succeeded). Steps may be skipped between check-ins.</summary>
public sealed record DevicePhaseReported(DeviceUpdateStatus Phase) : DeviceUpdateEvent;

/// <summary>The device reports the attempt failed; retried while retries remain.</summary>
public sealed record DeviceFailureReported(string Reason) : DeviceUpdateEvent;

/// <summary>The device's boot counter or health check sent it back to its old slot before committing (A/B fallback). Never retried: the release itself is suspect.</summary>
public sealed record DeviceFellBack(string Reason) : DeviceUpdateEvent;

/// <summary>
/// Time passed: an attempt in progress for longer than the install timeout fails, and a device ordered back longer
/// than <paramref name="RollbackTimeout"/> ago without reporting becomes rollback-unresponsive (never, when null).
/// </summary>
public sealed record DeviceUpdateTick(TimeSpan? RollbackTimeout = null) : DeviceUpdateEvent;

/// <summary>The rollout aborted: a device that started installing must return to its previous release; one that did not is withdrawn.</summary>
public sealed record DeviceRollbackOrdered : DeviceUpdateEvent;

/// <summary>The device reports it runs its previous release again.</summary>
public sealed record DeviceRollbackCompleted : DeviceUpdateEvent;

/// <summary>The device reports it could not return to its previous release.</summary>
public sealed record DeviceRollbackFailed(string Reason) : DeviceUpdateEvent;

/// <summary>The rollout was cancelled: an assignment the device has not started installing is withdrawn.</summary>
public sealed record DeviceWithdrawn : DeviceUpdateEvent;

/// <summary>Why a device event was refused; <see cref="Code"/> is one of <see cref="DeviceUpdateRefusalCodes"/>.</summary>
public sealed record DeviceUpdateRefusal(string Code, string Message);

/// <summary>Stable codes of refused device events.</summary>
public static class DeviceUpdateRefusalCodes
{
    public const string StaleReport = "stale-report";
    public const string NotAPhase = "not-a-phase";
    public const string AssignmentFinished = "assignment-finished";
    public const string RollbackPending = "rollback-pending";
    public const string NotInProgress = "not-in-progress";
    public const string InstallStarted = "install-started";
    public const string NoRollbackOrdered = "no-rollback-ordered";
}

/// <summary>Stable failure reasons the server itself records.</summary>
public static class DeviceFailureReasons
{
    public const string InstallTimeout = "install-timeout";
    public const string RollbackFailedPrefix = "rollback-failed: ";
    public const string RollbackUnresponsive = "rollback-unresponsive";
}

/// <summary>
/// Result of a device event. <see cref="Outcome"/> is set exactly when the assignment newly reached an outcome:
/// apply it to the rollout as <see cref="DeviceFinished"/> in the same transaction. A repeated report changes
/// nothing and yields no outcome, which is what keeps ring counters exact.
/// </summary>
public sealed record DeviceUpdateTransition(DeviceAssignment Assignment, DeviceOutcome? Outcome, bool Retrying, DeviceUpdateRefusal? Refusal, bool Changed)
{
    public bool Accepted => Refusal is null;
}

/// <summary>
/// Per-device update state machine: assigned → downloading → downloaded → installing → rebooting → verifying →
/// succeeded | failed(reason) | rolled-back, with install timeouts, retries, and the ordered rollback path
/// (rollback-pending → rolled-back). Pure; storage holds the assignment row lock while applying.
/// </summary>
public static class DeviceUpdateMachine
{
    public static DeviceUpdateTransition Apply(RolloutDefinition definition, DeviceAssignment assignment, DeviceUpdateEvent @event, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(@event);
        return @event switch
        {
            DevicePhaseReported phase => ReportPhase(assignment, phase.Phase, now),
            DeviceFailureReported failure => FailAttempt(definition, assignment, failure.Reason, now),
            DeviceFellBack fellBack => FallBack(assignment, fellBack.Reason, now),
            DeviceUpdateTick tick => CheckTimeout(definition, assignment, tick.RollbackTimeout, now),
            DeviceRollbackOrdered => OrderRollback(assignment, now),
            DeviceRollbackCompleted => CompleteRollback(assignment, now),
            DeviceRollbackFailed failed => FailRollback(assignment, failed.Reason, now),
            DeviceWithdrawn => Withdraw(assignment, now),
            _ => throw new ArgumentException($"unknown device event {@event.GetType().Name}", nameof(@event)),
        };
    }

    private static DeviceUpdateTransition ReportPhase(DeviceAssignment a, DeviceUpdateStatus phase, DateTimeOffset now)
    {
        if (phase is < DeviceUpdateStatus.Downloading or > DeviceUpdateStatus.Succeeded)
            return Refuse(a, DeviceUpdateRefusalCodes.NotAPhase, $"{phase} is not a progress phase a device reports");
        if (phase == a.Status)
            return Unchanged(a);
        if (a.IsOrderedBack)
            return Refuse(a, DeviceUpdateRefusalCodes.RollbackPending, $"device was ordered back to {a.PreviousVersion}; report of {phase} ignored");
        if (!a.IsInProgress)
            return Refuse(a, DeviceUpdateRefusalCodes.AssignmentFinished, $"assignment is {a.Status}; report of {phase} ignored");
        if (phase < a.Status)
            return Refuse(a, DeviceUpdateRefusalCodes.StaleReport, $"assignment is already {a.Status}; report of {phase} is older");

        var next = Moved(a, phase, now) with { AttemptStartedAt = a.AttemptStartedAt ?? now };
        next = phase switch
        {
            DeviceUpdateStatus.Downloading => next with { DownloadingAt = now },
            DeviceUpdateStatus.Downloaded => next with { DownloadedAt = now },
            DeviceUpdateStatus.Installing => next with { InstallingAt = now },
            DeviceUpdateStatus.Rebooting => next with { RebootingAt = now },
            DeviceUpdateStatus.Verifying => next with { VerifyingAt = now },
            _ => next with { FinishedAt = now },
        };
        return new DeviceUpdateTransition(next, phase == DeviceUpdateStatus.Succeeded ? DeviceOutcome.Succeeded : null, false, null, true);
    }

    private static DeviceUpdateTransition FailAttempt(RolloutDefinition definition, DeviceAssignment a, string reason, DateTimeOffset now)
    {
        if (!a.IsInProgress)
            return Refuse(a, DeviceUpdateRefusalCodes.NotInProgress, $"assignment is {a.Status}; failure report ignored");
        if (a.Attempt <= definition.MaxRetries)
        {
            var retry = Moved(a, DeviceUpdateStatus.Assigned, now) with
            {
                Attempt = a.Attempt + 1,
                FailureReason = reason,
                AttemptStartedAt = null,
                DownloadingAt = null,
                DownloadedAt = null,
                InstallingAt = null,
                RebootingAt = null,
                VerifyingAt = null,
            };
            return new DeviceUpdateTransition(retry, null, true, null, true);
        }
        var failed = Moved(a, DeviceUpdateStatus.Failed, now) with { FailureReason = reason, FinishedAt = now };
        return new DeviceUpdateTransition(failed, DeviceOutcome.Failed, false, null, true);
    }

    private static DeviceUpdateTransition FallBack(DeviceAssignment a, string reason, DateTimeOffset now)
    {
        if (a.Status == DeviceUpdateStatus.RolledBack)
            return Unchanged(a);
        if (!a.IsInProgress)
            return Refuse(a, DeviceUpdateRefusalCodes.NotInProgress, $"assignment is {a.Status}; fallback report ignored");
        var rolledBack = Moved(a, DeviceUpdateStatus.RolledBack, now) with { FailureReason = reason, FinishedAt = now };
        return new DeviceUpdateTransition(rolledBack, DeviceOutcome.Failed, false, null, true);
    }

    private static DeviceUpdateTransition CheckTimeout(RolloutDefinition definition, DeviceAssignment a, TimeSpan? rollbackTimeout, DateTimeOffset now)
    {
        if (a.Status == DeviceUpdateStatus.RollbackPending)
        {
            if (rollbackTimeout is not { } timeout || a.RollbackOrderedAt is not { } ordered || now - ordered < timeout)
                return Unchanged(a);
            var unresponsive = Moved(a, DeviceUpdateStatus.RollbackUnresponsive, now) with { FailureReason = DeviceFailureReasons.RollbackUnresponsive, FinishedAt = now };
            return new DeviceUpdateTransition(unresponsive, null, false, null, true);
        }
        if (!a.IsInProgress || a.AttemptStartedAt is not { } started || now - started < definition.InstallTimeout)
            return Unchanged(a);
        return FailAttempt(definition, a, DeviceFailureReasons.InstallTimeout, now);
    }

    private static DeviceUpdateTransition OrderRollback(DeviceAssignment a, DateTimeOffset now)
    {
        var nothingInstalled = a.Status is DeviceUpdateStatus.Failed or DeviceUpdateStatus.RolledBack or DeviceUpdateStatus.Withdrawn;
        if (nothingInstalled || a.IsOrderedBack)
            return Unchanged(a);
        if (!a.HasStartedInstalling)
            return new DeviceUpdateTransition(Moved(a, DeviceUpdateStatus.Withdrawn, now) with { FinishedAt = now }, null, false, null, true);
        var pending = Moved(a, DeviceUpdateStatus.RollbackPending, now) with { RollbackOrderedAt = now, FinishedAt = null };
        return new DeviceUpdateTransition(pending, null, false, null, true);
    }

    private static DeviceUpdateTransition CompleteRollback(DeviceAssignment a, DateTimeOffset now)
    {
        if (a.Status == DeviceUpdateStatus.RolledBack && a.RollbackOrderedAt is not null)
            return Unchanged(a);
        // A device that went silent past the rollback timeout and then reports it returned did return: count it.
        if (!a.IsOrderedBack)
            return Refuse(a, DeviceUpdateRefusalCodes.NoRollbackOrdered, $"assignment is {a.Status}; no rollback was ordered");
        var done = Moved(a, DeviceUpdateStatus.RolledBack, now) with { FinishedAt = now };
        return new DeviceUpdateTransition(done, DeviceOutcome.Reverted, false, null, true);
    }

    private static DeviceUpdateTransition FailRollback(DeviceAssignment a, string reason, DateTimeOffset now)
    {
        if (!a.IsOrderedBack)
            return Refuse(a, DeviceUpdateRefusalCodes.NoRollbackOrdered, $"assignment is {a.Status}; no rollback was ordered");
        var failed = Moved(a, DeviceUpdateStatus.Failed, now) with { FailureReason = DeviceFailureReasons.RollbackFailedPrefix + reason, FinishedAt = now };
        return new DeviceUpdateTransition(failed, null, false, null, true);
    }

    private static DeviceUpdateTransition Withdraw(DeviceAssignment a, DateTimeOffset now)
    {
        if (a.Status == DeviceUpdateStatus.Withdrawn)
            return Unchanged(a);
        if (a.IsFinal || a.IsOrderedBack)
            return Refuse(a, DeviceUpdateRefusalCodes.AssignmentFinished, $"assignment is {a.Status}; nothing to withdraw");
        if (a.HasStartedInstalling)
            return Refuse(a, DeviceUpdateRefusalCodes.InstallStarted, $"device is {a.Status}; it finishes its attempt");
        return new DeviceUpdateTransition(Moved(a, DeviceUpdateStatus.Withdrawn, now) with { FinishedAt = now }, null, false, null, true);
    }

    private static DeviceAssignment Moved(DeviceAssignment a, DeviceUpdateStatus status, DateTimeOffset now) =>
        a with { Status = status, StatusChangedAt = now, Version = a.Version + 1 };

    private static DeviceUpdateTransition Unchanged(DeviceAssignment a) => new(a, null, false, null, false);

    private static DeviceUpdateTransition Refuse(DeviceAssignment a, string code, string message) =>
        new(a, null, false, new DeviceUpdateRefusal(code, message), false);
}

/// <summary>Stable text names of device update statuses, as stored and as shown in the API.</summary>
public static class DeviceUpdateStatusNames
{
    public static string ToName(this DeviceUpdateStatus status) => status switch
    {
        DeviceUpdateStatus.Assigned => "assigned",
        DeviceUpdateStatus.Downloading => "downloading",
        DeviceUpdateStatus.Downloaded => "downloaded",
        DeviceUpdateStatus.Installing => "installing",
        DeviceUpdateStatus.Rebooting => "rebooting",
        DeviceUpdateStatus.Verifying => "verifying",
        DeviceUpdateStatus.Succeeded => "succeeded",
        DeviceUpdateStatus.Failed => "failed",
        DeviceUpdateStatus.RollbackPending => "rollback-pending",
        DeviceUpdateStatus.RolledBack => "rolled-back",
        DeviceUpdateStatus.Withdrawn => "withdrawn",
        DeviceUpdateStatus.RollbackUnresponsive => "rollback-unresponsive",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out DeviceUpdateStatus status)
    {
        foreach (var candidate in Enum.GetValues<DeviceUpdateStatus>())
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
