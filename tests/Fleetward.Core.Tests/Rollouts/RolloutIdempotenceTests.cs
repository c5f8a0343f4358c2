using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

/// <summary>
/// Several server replicas share one database: an event may be delivered twice or applied by two replicas at once.
/// Storage serialises writers (row lock or compare-and-set on the version); these tests prove the state machine
/// then never double-advances or double-counts.
/// </summary>
public class RolloutIdempotenceTests
{
    private static readonly DateTimeOffset T0 = RolloutSamples.T0;

    private static RolloutDefinition Definition() => RolloutSamples.Definition(
        rings:
        [
            new RingDefinition(1m, TimeSpan.Zero, 100m, true),
            new RingDefinition(10m, TimeSpan.Zero, 100m, false),
            new RingDefinition(100m, TimeSpan.Zero, 100m, false),
        ],
        errorThreshold: new ErrorThreshold(1000, null, 1, ErrorThresholdAction.Pause));

    /// <summary>The storage contract in miniature: a write succeeds only if the stored version is the one the writer read.</summary>
    private sealed class VersionedRow(RolloutState initial)
    {
        private readonly Lock _lock = new();

        public RolloutState Current { get; private set; } = initial;

        public bool TryWrite(long readVersion, RolloutState next)
        {
            lock (_lock)
            {
                if (Current.Version != readVersion)
                    return false;
                Current = next;
                return true;
            }
        }

        /// <summary>SELECT … FOR UPDATE, apply, write, commit.</summary>
        public RolloutTransition ApplyLocked(Func<RolloutState, RolloutTransition> apply)
        {
            lock (_lock)
            {
                var transition = apply(Current);
                if (transition.Changed)
                    Current = transition.State;
                return transition;
            }
        }
    }

    private static RolloutState AwaitingApproval(RolloutDefinition definition)
    {
        var state = RolloutStateMachine.Apply(definition, RolloutState.Draft(definition, T0), new StartRollout([2, 5, 10]), T0).State;
        for (var i = 0; i < 2; i++)
            state = RolloutStateMachine.Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Succeeded), T0).State;
        Assert.Equal(RingStatus.AwaitingApproval, state.Rings[0].Status);
        return state;
    }

    [Fact]
    public void Repeated_approval_opens_only_one_ring()
    {
        var definition = Definition();
        var state = AwaitingApproval(definition);
        var first = RolloutStateMachine.Apply(definition, state, new ApproveNextRing(0), T0);
        var second = RolloutStateMachine.Apply(definition, first.State, new ApproveNextRing(0), T0);
        Assert.True(first.Changed);
        Assert.Equal(RolloutRefusalCodes.RingNotAwaitingApproval, second.Refusal!.Code);
        Assert.Equal(1, second.State.CurrentRing);
        Assert.Equal(RingStatus.Active, second.State.Rings[1].Status);
    }

    [Fact]
    public void Repeated_command_with_its_expected_version_is_refused()
    {
        var definition = Definition();
        var state = AwaitingApproval(definition);
        var pause = new PauseRollout { ExpectedVersion = state.Version };
        var first = RolloutStateMachine.Apply(definition, state, pause, T0);
        var resumed = RolloutStateMachine.Apply(definition, first.State, new ResumeRollout(), T0).State;
        var replay = RolloutStateMachine.Apply(definition, resumed, pause, T0);
        Assert.Equal(RolloutRefusalCodes.VersionConflict, replay.Refusal!.Code);
        Assert.Equal(RolloutStatus.Running, replay.State.Status);
    }

    [Fact]
    public void Two_replicas_applying_the_same_approval_advance_once()
    {
        var definition = Definition();
        var row = new VersionedRow(AwaitingApproval(definition));

        // Both replicas read the same version and compute the same transition.
        var read = row.Current;
        var replicaA = RolloutStateMachine.Apply(definition, read, new ApproveNextRing(0), T0);
        var replicaB = RolloutStateMachine.Apply(definition, read, new ApproveNextRing(0), T0);
        Assert.True(row.TryWrite(read.Version, replicaA.State));
        Assert.False(row.TryWrite(read.Version, replicaB.State));

        // The loser re-reads and retries: the approval no longer applies.
        var retry = RolloutStateMachine.Apply(definition, row.Current, new ApproveNextRing(0), T0);
        Assert.False(retry.Accepted);
        Assert.Equal(1, row.Current.CurrentRing);
        Assert.Equal(read.Version + 1, row.Current.Version);
    }

    [Fact]
    public void Tick_applied_twice_at_the_same_instant_does_not_advance_twice()
    {
        var definition = RolloutSamples.Definition(rings:
        [
            new RingDefinition(1m, TimeSpan.FromHours(1), 100m, false),
            new RingDefinition(10m, TimeSpan.FromHours(1), 100m, false),
            new RingDefinition(100m, TimeSpan.Zero, 100m, false),
        ]);
        var state = RolloutStateMachine.Apply(definition, RolloutState.Draft(definition, T0), new StartRollout([1, 0, 5]), T0).State;
        state = RolloutStateMachine.Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Succeeded), T0).State;

        var first = RolloutStateMachine.Apply(definition, state, new RolloutTick(), T0.AddHours(1));
        var second = RolloutStateMachine.Apply(definition, first.State, new RolloutTick(), T0.AddHours(1));
        Assert.Equal(1, first.State.CurrentRing);
        Assert.Equal(RingStatus.Soaking, first.State.Rings[1].Status); // empty ring met its threshold, soak just began
        Assert.False(second.Changed);
        Assert.Equal(1, second.State.CurrentRing);
    }

    [Fact]
    public void Repeated_device_report_counts_once()
    {
        var definition = Definition();
        var rollout = RolloutStateMachine.Apply(definition, RolloutState.Draft(definition, T0), new StartRollout([2, 5, 10]), T0).State;
        var assignment = DeviceAssignment.Create(definition.Id, "dev-1", 0, 12, "1.0.0", T0);
        var report = new DevicePhaseReported(DeviceUpdateStatus.Succeeded);

        var first = RolloutProgress.ApplyDeviceEvent(definition, rollout, assignment, report, T0.AddMinutes(5));
        Assert.NotNull(first.Rollout);
        var second = RolloutProgress.ApplyDeviceEvent(definition, first.Rollout!.State, first.Device.Assignment, report, T0.AddMinutes(6));
        Assert.Null(second.Rollout);
        Assert.False(second.Device.Changed);
        Assert.Equal(1, first.Rollout.State.Rings[0].Succeeded);
    }

    [Fact]
    public void Concurrent_reports_and_ticks_under_the_row_lock_count_exactly_and_advance_once()
    {
        var definition = RolloutSamples.Definition(rings:
        [
            new RingDefinition(50m, TimeSpan.Zero, 100m, true),
            new RingDefinition(100m, TimeSpan.Zero, 100m, false),
        ]);
        const int ringSize = 200;
        var row = new VersionedRow(RolloutStateMachine.Apply(definition, RolloutState.Draft(definition, T0), new StartRollout([ringSize, ringSize]), T0).State);
        var assignments = Enumerable.Range(0, ringSize)
            .Select(i => DeviceAssignment.Create(definition.Id, $"dev-{i}", 0, i, "1.0.0", T0))
            .ToArray();
        var assignmentLocks = assignments.Select(_ => new Lock()).ToArray();
        var approvals = 0;

        // Every device reports success twice and every worker ticks and tries to approve ring 0, all at once.
        Parallel.For(0, ringSize * 2, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            var i = n % ringSize;
            lock (assignmentLocks[i])
            {
                row.ApplyLocked(state =>
                {
                    var result = RolloutProgress.ApplyDeviceEvent(definition, state, assignments[i], new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddMinutes(1));
                    assignments[i] = result.Device.Assignment;
                    return result.Rollout ?? new RolloutTransition(state, [], null, false);
                });
            }
            row.ApplyLocked(state => RolloutStateMachine.Apply(definition, state, new RolloutTick(), T0.AddMinutes(2)));
            var approve = row.ApplyLocked(state => RolloutStateMachine.Apply(definition, state, new ApproveNextRing(0), T0.AddMinutes(3)));
            if (approve.Accepted)
                Interlocked.Increment(ref approvals);
        });

        Assert.Equal(ringSize, row.Current.Rings[0].Succeeded);
        // The report that completed the ring is followed by its thread's approval, so exactly one approval wins.
        Assert.Equal(1, approvals);
        Assert.Equal(1, row.Current.CurrentRing);
        Assert.All(assignments, a => Assert.Equal(DeviceUpdateStatus.Succeeded, a.Status));
    }
}
