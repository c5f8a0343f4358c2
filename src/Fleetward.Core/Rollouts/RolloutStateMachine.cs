namespace Fleetward.Core.Rollouts;

/// <summary>
/// Something that happened to a rollout: an operator command, a device finishing, or time passing.
/// <see cref="ExpectedVersion"/>, when set, makes the event apply only to the state version its sender read,
/// so a retried or duplicated command (two clicks, two replicas) is refused instead of applied twice.
/// </summary>
public abstract record RolloutEvent
{
    public long? ExpectedVersion { get; init; }
}

/// <summary>Operator starts a draft. <paramref name="RingTargets"/> is the number of selected devices in each ring (not cumulative), from <see cref="RolloutPlanner.CountRings"/>.</summary>
public sealed record StartRollout(IReadOnlyList<int> RingTargets) : RolloutEvent;

/// <summary>Operator stops new assignments; devices already updating finish.</summary>
public sealed record PauseRollout : RolloutEvent;

/// <summary>Operator resumes a paused rollout; after an error-threshold pause this accepts the failures seen so far.</summary>
public sealed record ResumeRollout : RolloutEvent;

/// <summary>Operator approves ring <paramref name="RingIndex"/>, which is awaiting approval, so the next ring opens. Naming the ring makes a repeated approval harmless.</summary>
public sealed record ApproveNextRing(int RingIndex) : RolloutEvent;

/// <summary>Operator ends the rollout without rolling devices back.</summary>
public sealed record CancelRollout : RolloutEvent;

/// <summary>Operator ends the rollout and orders devices that installed the release back to their previous one.</summary>
public sealed record AbortRollout : RolloutEvent;

/// <summary>
/// A device of ring <paramref name="RingIndex"/> reached an outcome. Produced only by
/// <see cref="DeviceUpdateMachine"/> when an assignment newly reaches it and applied in the same transaction
/// as that assignment change, so a repeated device report never counts twice.
/// </summary>
public sealed record DeviceFinished(int RingIndex, DeviceOutcome Outcome) : RolloutEvent;

/// <summary>Time passed: soak periods may have ended. Sent by the background worker.</summary>
public sealed record RolloutTick : RolloutEvent;

/// <summary>Work the server must carry out after a transition is stored.</summary>
public abstract record RolloutEffect;

/// <summary>Devices with a cohort bucket below <paramref name="BucketLimit"/> may now be assigned (ring <paramref name="RingIndex"/> and earlier).</summary>
public sealed record OpenRing(int RingIndex, int BucketLimit) : RolloutEffect;

/// <summary>Hand out no new assignments; devices assigned but not started wait. <paramref name="Reason"/> is a <see cref="RolloutReasonCodes"/> value.</summary>
public sealed record HoldAssignments(string Reason) : RolloutEffect;

/// <summary>Tell operators ring <paramref name="RingIndex"/> waits for their approval.</summary>
public sealed record RequestApproval(int RingIndex) : RolloutEffect;

/// <summary>The rollout was cancelled: apply <see cref="DeviceWithdrawn"/> to every assignment whose device has not started installing.</summary>
public sealed record WithdrawUnstartedAssignments : RolloutEffect;

/// <summary>
/// The rollout aborted: apply <see cref="DeviceRollbackOrdered"/> to every assignment of the rollout, which orders
/// devices that installed (or are installing) <paramref name="ReleaseId"/> back to their previous release and
/// withdraws the ones that had not started.
/// </summary>
public sealed record OrderRollback(string ReleaseId) : RolloutEffect;

/// <summary>Why an event was refused; <see cref="Code"/> is one of <see cref="RolloutRefusalCodes"/>.</summary>
public sealed record RolloutRefusal(string Code, string Message);

/// <summary>Stable codes of refused rollout events.</summary>
public static class RolloutRefusalCodes
{
    public const string VersionConflict = "version-conflict";
    public const string NotDraft = "not-draft";
    public const string NotRunning = "not-running";
    public const string NotPaused = "not-paused";
    public const string NotStarted = "not-started";
    public const string AlreadyFinished = "already-finished";
    public const string RingTargetsMismatch = "ring-targets-mismatch";
    public const string RingOutOfRange = "ring-out-of-range";
    public const string RingNotOpen = "ring-not-open";
    public const string RingNotAwaitingApproval = "ring-not-awaiting-approval";
}

/// <summary>Stable codes for why a rollout paused or ended (<see cref="RolloutState.StatusReason"/>).</summary>
public static class RolloutReasonCodes
{
    public const string OperatorPaused = "operator-paused";
    public const string OperatorCancelled = "operator-cancelled";
    public const string OperatorAborted = "operator-aborted";
    public const string ErrorThreshold = "error-threshold";
    public const string AllRingsPassed = "all-rings-passed";
}

/// <summary>
/// The result of applying an event: the new state and the effects to carry out, or a refusal and the
/// unchanged state. Storage writes the state only when <see cref="Changed"/>.
/// </summary>
public sealed record RolloutTransition(RolloutState State, IReadOnlyList<RolloutEffect> Effects, RolloutRefusal? Refusal, bool Changed)
{
    public bool Accepted => Refusal is null;
}

/// <summary>
/// Rollout and ring state machines (draft → running ⇄ paused → completed | aborted | cancelled; each ring
/// pending → active → soaking → awaiting-approval → passed | failed). Pure: the same state, event and instant
/// always give the same transition, so any replica holding the rollout's row lock can apply it.
/// </summary>
public static class RolloutStateMachine
{
    public static RolloutTransition Apply(RolloutDefinition definition, RolloutState state, RolloutEvent @event, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(@event);
        if (state.RolloutId != definition.Id || state.Rings.Count != definition.Rings.Count)
            throw new ArgumentException($"state of rollout '{state.RolloutId}' does not belong to definition '{definition.Id}'", nameof(state));

        if (@event.ExpectedVersion is { } expected && expected != state.Version)
            return Refuse(state, RolloutRefusalCodes.VersionConflict, $"event expects version {expected}, rollout is at version {state.Version}");

        var run = new Run(definition, state, now);
        var refusal = @event switch
        {
            StartRollout start => run.Start(start.RingTargets),
            PauseRollout => run.Pause(),
            ResumeRollout => run.Resume(),
            ApproveNextRing approve => run.Approve(approve.RingIndex),
            CancelRollout => run.Cancel(),
            AbortRollout => run.Abort(),
            DeviceFinished finished => run.RecordDevice(finished.RingIndex, finished.Outcome),
            RolloutTick => run.Tick(),
            _ => throw new ArgumentException($"unknown rollout event {@event.GetType().Name}", nameof(@event)),
        };
        return refusal is null ? run.Result() : new RolloutTransition(state, [], refusal, false);
    }

    private static RolloutTransition Refuse(RolloutState state, string code, string message) =>
        new(state, [], new RolloutRefusal(code, message), false);

    /// <summary>One application of one event: a working copy of the state plus the effects gathered.</summary>
    private sealed class Run(RolloutDefinition definition, RolloutState original, DateTimeOffset now)
    {
        private readonly RingProgress[] _rings = original.Rings.ToArray();
        private readonly List<RolloutEffect> _effects = [];
        private RolloutStatus _status = original.Status;
        private int _current = original.CurrentRing;
        private string? _reason = original.StatusReason;
        private DateTimeOffset? _startedAt = original.StartedAt;
        private DateTimeOffset? _finishedAt = original.FinishedAt;

        public RolloutTransition Result()
        {
            var changed = _status != original.Status || _current != original.CurrentRing || _reason != original.StatusReason
                || !_rings.SequenceEqual(original.Rings);
            if (!changed)
                return new RolloutTransition(original, _effects, null, false);
            var state = original with
            {
                Version = original.Version + 1,
                Status = _status,
                CurrentRing = _current,
                Rings = _rings,
                StatusReason = _reason,
                UpdatedAt = now,
                StartedAt = _startedAt,
                FinishedAt = _finishedAt,
            };
            return new RolloutTransition(state, _effects, null, true);
        }

        public RolloutRefusal? Start(IReadOnlyList<int> targets)
        {
            if (_status != RolloutStatus.Draft)
                return new RolloutRefusal(RolloutRefusalCodes.NotDraft, $"only a draft can start; rollout is {_status.ToName()}");
            if (targets is null || targets.Count != _rings.Length || targets.Any(t => t < 0))
                return new RolloutRefusal(RolloutRefusalCodes.RingTargetsMismatch, $"expected {_rings.Length} non-negative ring targets");

            for (var i = 0; i < _rings.Length; i++)
                _rings[i] = _rings[i] with { TargetDevices = targets[i] };
            _status = RolloutStatus.Running;
            _startedAt = now;
            _reason = null;
            Activate(0);
            Evaluate();
            return null;
        }

        public RolloutRefusal? Pause()
        {
            if (_status != RolloutStatus.Running)
                return new RolloutRefusal(RolloutRefusalCodes.NotRunning, $"only a running rollout can pause; rollout is {_status.ToName()}");
            _status = RolloutStatus.Paused;
            _reason = RolloutReasonCodes.OperatorPaused;
            _effects.Add(new HoldAssignments(RolloutReasonCodes.OperatorPaused));
            return null;
        }

        public RolloutRefusal? Resume()
        {
            if (_status != RolloutStatus.Paused)
                return new RolloutRefusal(RolloutRefusalCodes.NotPaused, $"only a paused rollout can resume; rollout is {_status.ToName()}");
            if (_reason == RolloutReasonCodes.ErrorThreshold)
            {
                // The trip may have come from a late failure in a ring already passed: accept every ring's failures so far.
                for (var i = 0; i < _rings.Length; i++)
                {
                    if (_rings[i].Status != RingStatus.Pending)
                        _rings[i] = _rings[i] with { AcknowledgedFailed = _rings[i].Failed, AcknowledgedFinished = _rings[i].Finished };
                }
            }
            _status = RolloutStatus.Running;
            _reason = null;
            _effects.Add(new OpenRing(_current, definition.BucketLimit(_current)));
            Evaluate();
            return null;
        }

        public RolloutRefusal? Approve(int ringIndex)
        {
            if (_status != RolloutStatus.Running)
                return new RolloutRefusal(RolloutRefusalCodes.NotRunning, $"rings are approved only while running; rollout is {_status.ToName()}");
            if (ringIndex < 0 || ringIndex >= _rings.Length)
                return new RolloutRefusal(RolloutRefusalCodes.RingOutOfRange, $"ring {ringIndex} does not exist");
            if (_rings[ringIndex].Status != RingStatus.AwaitingApproval)
                return new RolloutRefusal(RolloutRefusalCodes.RingNotAwaitingApproval, $"ring {ringIndex} is {_rings[ringIndex].Status.ToName()}, not awaiting approval");
            Pass(ringIndex);
            Evaluate();
            return null;
        }

        public RolloutRefusal? Cancel()
        {
            if (original.IsFinal)
                return new RolloutRefusal(RolloutRefusalCodes.AlreadyFinished, $"rollout is already {_status.ToName()}");
            if (_status != RolloutStatus.Draft)
                _effects.Add(new WithdrawUnstartedAssignments());
            _status = RolloutStatus.Cancelled;
            _reason = RolloutReasonCodes.OperatorCancelled;
            _finishedAt = now;
            return null;
        }

        public RolloutRefusal? Abort()
        {
            if (original.IsFinal)
                return new RolloutRefusal(RolloutRefusalCodes.AlreadyFinished, $"rollout is already {_status.ToName()}");
            if (_status == RolloutStatus.Draft)
                return new RolloutRefusal(RolloutRefusalCodes.NotStarted, "a draft has nothing to roll back; cancel it instead");
            AbortWith(RolloutReasonCodes.OperatorAborted);
            return null;
        }

        public RolloutRefusal? RecordDevice(int ringIndex, DeviceOutcome outcome)
        {
            if (_status == RolloutStatus.Draft)
                return new RolloutRefusal(RolloutRefusalCodes.NotStarted, "a draft has no devices");
            if (ringIndex < 0 || ringIndex >= _rings.Length)
                return new RolloutRefusal(RolloutRefusalCodes.RingOutOfRange, $"ring {ringIndex} does not exist");
            var ring = _rings[ringIndex];
            if (ring.Status == RingStatus.Pending)
                return new RolloutRefusal(RolloutRefusalCodes.RingNotOpen, $"ring {ringIndex} has not opened");

            _rings[ringIndex] = outcome switch
            {
                DeviceOutcome.Succeeded => ring with { Succeeded = ring.Succeeded + 1 },
                DeviceOutcome.Failed => ring with { Failed = ring.Failed + 1 },
                DeviceOutcome.Reverted => ring with { Reverted = ring.Reverted + 1 },
                _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
            };
            if (_status == RolloutStatus.Running)
                Evaluate();
            return null;
        }

        public RolloutRefusal? Tick()
        {
            if (_status == RolloutStatus.Running)
                Evaluate();
            return null;
        }

        /// <summary>Advances the current ring as far as its counters and the clock allow, or stops the rollout on errors.</summary>
        private void Evaluate()
        {
            while (_status == RolloutStatus.Running)
            {
                var index = _current;
                var ring = _rings[index];
                var plan = definition.Rings[index];
                if (!ring.IsOpen)
                    return;

                // Every opened ring counts, not only the current one: a device of a passed ring that fails late
                // (it was slow, or fell back to its old slot after soak) is as much evidence against the release.
                if (_rings.Any(r => r.Status != RingStatus.Pending && ErrorThresholdTripped(r)))
                {
                    if (definition.ErrorThreshold.Action == ErrorThresholdAction.Pause)
                    {
                        _status = RolloutStatus.Paused;
                        _reason = RolloutReasonCodes.ErrorThreshold;
                        _effects.Add(new HoldAssignments(RolloutReasonCodes.ErrorThreshold));
                    }
                    else
                    {
                        AbortWith(RolloutReasonCodes.ErrorThreshold);
                    }
                    return;
                }

                if (ring.Status == RingStatus.Active && SuccessReached(ring, plan))
                    _rings[index] = ring = ring with { Status = RingStatus.Soaking, SoakStartedAt = now };

                if (ring.Status != RingStatus.Soaking || now < ring.SoakStartedAt!.Value + plan.MinimumSoak)
                    return;

                var last = index == _rings.Length - 1;
                if (plan.RequiresApproval && !last)
                {
                    _rings[index] = ring with { Status = RingStatus.AwaitingApproval };
                    _effects.Add(new RequestApproval(index));
                    return;
                }
                Pass(index);
            }
        }

        private bool ErrorThresholdTripped(RingProgress ring)
        {
            var threshold = definition.ErrorThreshold;
            var failed = ring.Failed - ring.AcknowledgedFailed;
            var finished = ring.Finished - ring.AcknowledgedFinished;
            if (threshold.FailedCount is { } count && failed >= count)
                return true;
            return threshold.FailedPercent is { } percent
                && finished >= threshold.MinimumFinished
                && failed * 100m >= percent * finished;
        }

        // A ring with no targeted devices has nothing to wait for.
        private static bool SuccessReached(RingProgress ring, RingDefinition plan) =>
            ring.Succeeded * 100m >= plan.SuccessThresholdPercent * ring.TargetDevices;

        private void Pass(int index)
        {
            _rings[index] = _rings[index] with { Status = RingStatus.Passed, FinishedAt = now };
            if (index == _rings.Length - 1)
            {
                _status = RolloutStatus.Completed;
                _reason = RolloutReasonCodes.AllRingsPassed;
                _finishedAt = now;
                return;
            }
            Activate(index + 1);
        }

        private void Activate(int index)
        {
            _current = index;
            _rings[index] = _rings[index] with { Status = RingStatus.Active, ActivatedAt = now };
            _effects.Add(new OpenRing(index, definition.BucketLimit(index)));
        }

        private void AbortWith(string reason)
        {
            var ring = _rings[_current];
            if (ring.IsOpen)
                _rings[_current] = ring with { Status = RingStatus.Failed, FinishedAt = now };
            _status = RolloutStatus.Aborted;
            _reason = reason;
            _finishedAt = now;
            _effects.Add(new OrderRollback(definition.Release.Id));
        }
    }
}
