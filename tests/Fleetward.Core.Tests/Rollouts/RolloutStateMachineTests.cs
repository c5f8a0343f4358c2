using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class RolloutStateMachineTests
{
    private static readonly DateTimeOffset T0 = RolloutSamples.T0;
    private static readonly ErrorThreshold PauseAtThree = new(3, null, 1, ErrorThresholdAction.Pause);
    private static readonly ErrorThreshold AbortAtThree = new(3, null, 1, ErrorThresholdAction.Abort);

    // Ring 0: 10 devices, 1 h soak, no approval. Ring 1: 20 devices, approval. Ring 2: 70 devices.
    private static RolloutDefinition Definition(ErrorThreshold? threshold = null, bool lastNeedsApproval = false) => RolloutSamples.Definition(
        rings:
        [
            new RingDefinition(1m, TimeSpan.FromHours(1), 80m, false),
            new RingDefinition(10m, TimeSpan.FromHours(1), 80m, true),
            new RingDefinition(100m, TimeSpan.Zero, 80m, lastNeedsApproval),
        ],
        errorThreshold: threshold ?? PauseAtThree);

    private static readonly int[] Targets = [10, 20, 70];

    private static RolloutTransition Apply(RolloutDefinition definition, RolloutState state, RolloutEvent e, DateTimeOffset? at = null)
        => RolloutStateMachine.Apply(definition, state, e, at ?? T0);

    private static RolloutState Started(RolloutDefinition definition) =>
        Apply(definition, RolloutState.Draft(definition, T0), new StartRollout(Targets)).State;

    private static RolloutState Finish(RolloutDefinition definition, RolloutState state, int ring, DeviceOutcome outcome, int count, DateTimeOffset? at = null)
    {
        for (var i = 0; i < count; i++)
            state = Apply(definition, state, new DeviceFinished(ring, outcome), at).State;
        return state;
    }

    private static RolloutState Soaking(RolloutDefinition definition) => Finish(definition, Started(definition), 0, DeviceOutcome.Succeeded, 8);

    private static RolloutState AwaitingApproval(RolloutDefinition definition)
    {
        var state = Apply(definition, Soaking(definition), new RolloutTick(), T0.AddHours(1)).State;
        state = Finish(definition, state, 1, DeviceOutcome.Succeeded, 16, T0.AddHours(1));
        return Apply(definition, state, new RolloutTick(), T0.AddHours(2)).State;
    }

    private static void AssertRefused(RolloutTransition transition, RolloutState before, string code)
    {
        Assert.False(transition.Accepted);
        Assert.Equal(code, transition.Refusal!.Code);
        Assert.False(transition.Changed);
        Assert.Same(before, transition.State);
        Assert.Empty(transition.Effects);
    }

    // ---- rollout: draft ----

    [Fact]
    public void Draft_starts_running_with_the_first_ring_active()
    {
        var definition = Definition();
        var t = Apply(definition, RolloutState.Draft(definition, T0), new StartRollout(Targets));
        Assert.True(t.Changed);
        Assert.Equal(RolloutStatus.Running, t.State.Status);
        Assert.Equal(1, t.State.Version);
        Assert.Equal(T0, t.State.StartedAt);
        Assert.Equal([RingStatus.Active, RingStatus.Pending, RingStatus.Pending], t.State.Rings.Select(r => r.Status));
        Assert.Equal(Targets, t.State.Rings.Select(r => r.TargetDevices));
        Assert.Equal([new OpenRing(0, 100)], t.Effects);
    }

    [Fact]
    public void Start_needs_one_target_per_ring()
    {
        var definition = Definition();
        var draft = RolloutState.Draft(definition, T0);
        AssertRefused(Apply(definition, draft, new StartRollout([1, 2])), draft, RolloutRefusalCodes.RingTargetsMismatch);
        AssertRefused(Apply(definition, draft, new StartRollout([1, -2, 3])), draft, RolloutRefusalCodes.RingTargetsMismatch);
    }

    [Fact]
    public void Start_is_refused_once_started()
    {
        var definition = Definition();
        var running = Started(definition);
        AssertRefused(Apply(definition, running, new StartRollout(Targets)), running, RolloutRefusalCodes.NotDraft);
    }

    [Fact]
    public void Draft_cancels_without_effects()
    {
        var definition = Definition();
        var t = Apply(definition, RolloutState.Draft(definition, T0), new CancelRollout());
        Assert.Equal(RolloutStatus.Cancelled, t.State.Status);
        Assert.Equal(RolloutReasonCodes.OperatorCancelled, t.State.StatusReason);
        Assert.Empty(t.Effects);
    }

    [Fact]
    public void Draft_cannot_abort()
    {
        var definition = Definition();
        var draft = RolloutState.Draft(definition, T0);
        AssertRefused(Apply(definition, draft, new AbortRollout()), draft, RolloutRefusalCodes.NotStarted);
    }

    [Fact]
    public void Draft_cannot_pause_resume_or_approve()
    {
        var definition = Definition();
        var draft = RolloutState.Draft(definition, T0);
        AssertRefused(Apply(definition, draft, new PauseRollout()), draft, RolloutRefusalCodes.NotRunning);
        AssertRefused(Apply(definition, draft, new ResumeRollout()), draft, RolloutRefusalCodes.NotPaused);
        AssertRefused(Apply(definition, draft, new ApproveNextRing(0)), draft, RolloutRefusalCodes.NotRunning);
    }

    [Fact]
    public void Draft_has_no_device_results()
    {
        var definition = Definition();
        var draft = RolloutState.Draft(definition, T0);
        AssertRefused(Apply(definition, draft, new DeviceFinished(0, DeviceOutcome.Succeeded)), draft, RolloutRefusalCodes.NotStarted);
    }

    // ---- rollout: running, paused ----

    [Fact]
    public void Running_pauses_and_holds_assignments()
    {
        var definition = Definition();
        var t = Apply(definition, Started(definition), new PauseRollout());
        Assert.Equal(RolloutStatus.Paused, t.State.Status);
        Assert.Equal(RolloutReasonCodes.OperatorPaused, t.State.StatusReason);
        Assert.Equal([new HoldAssignments(RolloutReasonCodes.OperatorPaused)], t.Effects);
        Assert.Equal(0, t.State.OpenBucketLimit(definition));
    }

    [Fact]
    public void Paused_cannot_pause_again()
    {
        var definition = Definition();
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        AssertRefused(Apply(definition, paused, new PauseRollout()), paused, RolloutRefusalCodes.NotRunning);
    }

    [Fact]
    public void Paused_resumes_and_reopens_the_current_ring()
    {
        var definition = Definition();
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        var t = Apply(definition, paused, new ResumeRollout());
        Assert.Equal(RolloutStatus.Running, t.State.Status);
        Assert.Null(t.State.StatusReason);
        Assert.Equal([new OpenRing(0, 100)], t.Effects);
    }

    [Fact]
    public void Running_cannot_resume()
    {
        var definition = Definition();
        var running = Started(definition);
        AssertRefused(Apply(definition, running, new ResumeRollout()), running, RolloutRefusalCodes.NotPaused);
    }

    [Fact]
    public void Running_cancels_and_withdraws_unstarted_assignments()
    {
        var definition = Definition();
        var t = Apply(definition, Started(definition), new CancelRollout(), T0.AddMinutes(5));
        Assert.Equal(RolloutStatus.Cancelled, t.State.Status);
        Assert.Equal(T0.AddMinutes(5), t.State.FinishedAt);
        Assert.Equal([new WithdrawUnstartedAssignments()], t.Effects);
    }

    [Fact]
    public void Paused_cancels()
    {
        var definition = Definition();
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        Assert.Equal(RolloutStatus.Cancelled, Apply(definition, paused, new CancelRollout()).State.Status);
    }

    [Fact]
    public void Running_aborts_and_orders_rollback()
    {
        var definition = Definition();
        var t = Apply(definition, Started(definition), new AbortRollout());
        Assert.Equal(RolloutStatus.Aborted, t.State.Status);
        Assert.Equal(RolloutReasonCodes.OperatorAborted, t.State.StatusReason);
        Assert.Equal(RingStatus.Failed, t.State.Rings[0].Status);
        Assert.Equal([new OrderRollback("rel-2.0.0")], t.Effects);
    }

    [Fact]
    public void Paused_aborts()
    {
        var definition = Definition();
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        var t = Apply(definition, paused, new AbortRollout());
        Assert.Equal(RolloutStatus.Aborted, t.State.Status);
        Assert.Contains(new OrderRollback("rel-2.0.0"), t.Effects);
    }

    [Fact]
    public void Finished_rollout_refuses_operator_commands()
    {
        var definition = Definition();
        var aborted = Apply(definition, Started(definition), new AbortRollout()).State;
        var cancelled = Apply(definition, Started(definition), new CancelRollout()).State;
        AssertRefused(Apply(definition, aborted, new CancelRollout()), aborted, RolloutRefusalCodes.AlreadyFinished);
        AssertRefused(Apply(definition, aborted, new AbortRollout()), aborted, RolloutRefusalCodes.AlreadyFinished);
        AssertRefused(Apply(definition, cancelled, new CancelRollout()), cancelled, RolloutRefusalCodes.AlreadyFinished);
        AssertRefused(Apply(definition, cancelled, new ResumeRollout()), cancelled, RolloutRefusalCodes.NotPaused);
        AssertRefused(Apply(definition, cancelled, new StartRollout(Targets)), cancelled, RolloutRefusalCodes.NotDraft);
    }

    [Fact]
    public void Tick_outside_running_changes_nothing()
    {
        var definition = Definition();
        var paused = Apply(definition, Soaking(definition), new PauseRollout()).State;
        var t = Apply(definition, paused, new RolloutTick(), T0.AddDays(1));
        Assert.True(t.Accepted);
        Assert.False(t.Changed);
        Assert.Equal(RingStatus.Soaking, t.State.Rings[0].Status);
    }

    // ---- rings ----

    [Fact]
    public void Active_ring_stays_active_below_its_success_threshold()
    {
        var definition = Definition();
        var state = Finish(definition, Started(definition), 0, DeviceOutcome.Succeeded, 7);
        Assert.Equal(RingStatus.Active, state.Rings[0].Status);
        Assert.Equal(7, state.Rings[0].Succeeded);
    }

    [Fact]
    public void Active_ring_soaks_once_its_success_threshold_is_reached()
    {
        var definition = Definition();
        var state = Finish(definition, Started(definition), 0, DeviceOutcome.Succeeded, 8, T0.AddMinutes(10));
        Assert.Equal(RingStatus.Soaking, state.Rings[0].Status);
        Assert.Equal(T0.AddMinutes(10), state.Rings[0].SoakStartedAt);
    }

    [Fact]
    public void Soaking_ring_waits_for_its_minimum_soak()
    {
        var definition = Definition();
        var soaking = Finish(definition, Started(definition), 0, DeviceOutcome.Succeeded, 8);
        var t = Apply(definition, soaking, new RolloutTick(), T0.AddMinutes(59));
        Assert.False(t.Changed);
        Assert.Equal(RingStatus.Soaking, t.State.Rings[0].Status);
    }

    [Fact]
    public void Soaked_ring_passes_and_opens_the_next()
    {
        var definition = Definition();
        var t = Apply(definition, Soaking(definition), new RolloutTick(), T0.AddHours(1));
        Assert.Equal(RingStatus.Passed, t.State.Rings[0].Status);
        Assert.Equal(RingStatus.Active, t.State.Rings[1].Status);
        Assert.Equal(1, t.State.CurrentRing);
        Assert.Equal(1000, t.State.OpenBucketLimit(definition));
        Assert.Equal([new OpenRing(1, 1000)], t.Effects);
    }

    [Fact]
    public void Soaked_ring_that_needs_approval_waits_for_an_operator()
    {
        var definition = Definition();
        var state = AwaitingApproval(definition);
        Assert.Equal(RingStatus.AwaitingApproval, state.Rings[1].Status);
        Assert.Equal(RingStatus.Pending, state.Rings[2].Status);
        var t = Apply(definition, state, new RolloutTick(), T0.AddDays(3));
        Assert.False(t.Changed);
    }

    [Fact]
    public void Reaching_awaiting_approval_requests_it()
    {
        var definition = Definition();
        var state = Apply(definition, Soaking(definition), new RolloutTick(), T0.AddHours(1)).State;
        state = Finish(definition, state, 1, DeviceOutcome.Succeeded, 16, T0.AddHours(1));
        var t = Apply(definition, state, new RolloutTick(), T0.AddHours(2));
        Assert.Equal([new RequestApproval(1)], t.Effects);
    }

    [Fact]
    public void Approval_passes_the_ring_and_opens_the_next()
    {
        var definition = Definition();
        var t = Apply(definition, AwaitingApproval(definition), new ApproveNextRing(1), T0.AddHours(3));
        Assert.Equal(RingStatus.Passed, t.State.Rings[1].Status);
        Assert.Equal(RingStatus.Active, t.State.Rings[2].Status);
        Assert.Equal([new OpenRing(2, 10000)], t.Effects);
    }

    [Fact]
    public void Approval_of_a_ring_that_does_not_await_it_is_refused()
    {
        var definition = Definition();
        var waiting = AwaitingApproval(definition);
        AssertRefused(Apply(definition, waiting, new ApproveNextRing(0)), waiting, RolloutRefusalCodes.RingNotAwaitingApproval);
        AssertRefused(Apply(definition, waiting, new ApproveNextRing(7)), waiting, RolloutRefusalCodes.RingOutOfRange);
        var running = Started(definition);
        AssertRefused(Apply(definition, running, new ApproveNextRing(0)), running, RolloutRefusalCodes.RingNotAwaitingApproval);
    }

    [Fact]
    public void Approval_while_paused_is_refused()
    {
        var definition = Definition();
        var paused = Apply(definition, AwaitingApproval(definition), new PauseRollout()).State;
        AssertRefused(Apply(definition, paused, new ApproveNextRing(1)), paused, RolloutRefusalCodes.NotRunning);
    }

    [Fact]
    public void Last_ring_passing_completes_the_rollout_without_asking_approval()
    {
        var definition = Definition(lastNeedsApproval: true);
        var state = Apply(definition, AwaitingApproval(definition), new ApproveNextRing(1), T0.AddHours(3)).State;
        var t = Apply(definition, state, new DeviceFinished(2, DeviceOutcome.Succeeded), T0.AddHours(4));
        state = Finish(definition, t.State, 2, DeviceOutcome.Succeeded, 55, T0.AddHours(4));
        Assert.Equal(RolloutStatus.Completed, state.Status);
        Assert.Equal(RolloutReasonCodes.AllRingsPassed, state.StatusReason);
        Assert.Equal(T0.AddHours(4), state.FinishedAt);
        Assert.All(state.Rings, r => Assert.Equal(RingStatus.Passed, r.Status));
    }

    [Fact]
    public void Ring_without_devices_passes_through_at_once()
    {
        var definition = RolloutSamples.Definition(rings:
        [
            new RingDefinition(1m, TimeSpan.Zero, 100m, false),
            new RingDefinition(100m, TimeSpan.Zero, 100m, false),
        ]);
        var t = Apply(definition, RolloutState.Draft(definition, T0), new StartRollout([0, 3]));
        Assert.Equal([RingStatus.Passed, RingStatus.Active], t.State.Rings.Select(r => r.Status));
        Assert.Equal([new OpenRing(0, 100), new OpenRing(1, 10000)], t.Effects);
    }

    // ---- error thresholds ----

    [Fact]
    public void Failures_reaching_the_count_pause_the_rollout()
    {
        var definition = Definition(PauseAtThree);
        var state = Finish(definition, Started(definition), 0, DeviceOutcome.Failed, 2);
        Assert.Equal(RolloutStatus.Running, state.Status);
        var t = Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Failed));
        Assert.Equal(RolloutStatus.Paused, t.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, t.State.StatusReason);
        Assert.Equal(RingStatus.Active, t.State.Rings[0].Status);
        Assert.Equal([new HoldAssignments(RolloutReasonCodes.ErrorThreshold)], t.Effects);
    }

    private static RolloutState RingZeroPassed(RolloutDefinition definition) =>
        Apply(definition, Soaking(definition), new RolloutTick(), T0.AddHours(1)).State;

    [Fact]
    public void Late_failures_in_a_passed_ring_pause_the_rollout()
    {
        var definition = Definition(PauseAtThree);
        var state = RingZeroPassed(definition);
        Assert.Equal([RingStatus.Passed, RingStatus.Active, RingStatus.Pending], state.Rings.Select(r => r.Status));
        state = Finish(definition, state, 0, DeviceOutcome.Failed, 2, T0.AddHours(2));
        Assert.Equal(RolloutStatus.Running, state.Status);
        var t = Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Failed), T0.AddHours(2));
        Assert.Equal(RolloutStatus.Paused, t.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, t.State.StatusReason);
        Assert.Equal(RingStatus.Passed, t.State.Rings[0].Status);
        Assert.Equal(RingStatus.Active, t.State.Rings[1].Status);
        Assert.Equal([new HoldAssignments(RolloutReasonCodes.ErrorThreshold)], t.Effects);
    }

    [Fact]
    public void Late_failures_in_a_passed_ring_abort_the_rollout_and_fail_the_current_ring()
    {
        var definition = Definition(AbortAtThree);
        var state = Finish(definition, RingZeroPassed(definition), 0, DeviceOutcome.Failed, 2, T0.AddHours(2));
        var t = Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Failed), T0.AddHours(2));
        Assert.Equal(RolloutStatus.Aborted, t.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, t.State.StatusReason);
        Assert.Equal([RingStatus.Passed, RingStatus.Failed, RingStatus.Pending], t.State.Rings.Select(r => r.Status));
        Assert.Equal([new OrderRollback(RolloutSamples.Release.Id)], t.Effects);
    }

    [Fact]
    public void Resume_after_a_late_trip_accepts_the_failures_of_every_ring()
    {
        var definition = Definition(PauseAtThree);
        var paused = Finish(definition, RingZeroPassed(definition), 0, DeviceOutcome.Failed, 3, T0.AddHours(2));
        var resumed = Apply(definition, paused, new ResumeRollout(), T0.AddHours(3)).State;
        Assert.Equal(RolloutStatus.Running, resumed.Status);
        Assert.Equal(3, resumed.Rings[0].AcknowledgedFailed);
        var state = Finish(definition, resumed, 0, DeviceOutcome.Failed, 2, T0.AddHours(3));
        Assert.Equal(RolloutStatus.Running, state.Status);
        Assert.Equal(RolloutStatus.Paused, Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Failed), T0.AddHours(3)).State.Status);
    }

    [Fact]
    public void Failure_percentage_applies_only_after_the_minimum_finished()
    {
        var definition = Definition(new ErrorThreshold(null, 30m, 4, ErrorThresholdAction.Pause));
        var state = Finish(definition, Started(definition), 0, DeviceOutcome.Failed, 1);
        state = Finish(definition, state, 0, DeviceOutcome.Succeeded, 2);
        Assert.Equal(RolloutStatus.Running, state.Status); // 1 of 3 failed, but fewer than 4 finished
        state = Finish(definition, state, 0, DeviceOutcome.Succeeded, 1);
        Assert.Equal(RolloutStatus.Running, state.Status); // 1 of 4 = 25% < 30%
        state = Finish(definition, state, 0, DeviceOutcome.Failed, 1);
        Assert.Equal(RolloutStatus.Paused, state.Status);  // 2 of 5 = 40%
    }

    [Fact]
    public void Failures_with_abort_action_fail_the_ring_and_roll_back()
    {
        var definition = Definition(AbortAtThree);
        var state = Finish(definition, Started(definition), 0, DeviceOutcome.Failed, 2);
        var t = Apply(definition, state, new DeviceFinished(0, DeviceOutcome.Failed), T0.AddMinutes(20));
        Assert.Equal(RolloutStatus.Aborted, t.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, t.State.StatusReason);
        Assert.Equal(RingStatus.Failed, t.State.Rings[0].Status);
        Assert.Equal(T0.AddMinutes(20), t.State.Rings[0].FinishedAt);
        Assert.Equal([new OrderRollback("rel-2.0.0")], t.Effects);
        Assert.Equal(0, t.State.OpenBucketLimit(definition));
    }

    [Fact]
    public void Soaking_ring_still_fails_on_errors()
    {
        var definition = Definition(AbortAtThree);
        var state = Finish(definition, Soaking(definition), 0, DeviceOutcome.Failed, 3);
        Assert.Equal(RolloutStatus.Aborted, state.Status);
        Assert.Equal(RingStatus.Failed, state.Rings[0].Status);
    }

    [Fact]
    public void Resuming_after_an_error_pause_accepts_the_failures_seen_so_far()
    {
        var definition = Definition(PauseAtThree);
        var paused = Finish(definition, Started(definition), 0, DeviceOutcome.Failed, 3);
        var resumed = Apply(definition, paused, new ResumeRollout());
        Assert.Equal(RolloutStatus.Running, resumed.State.Status);
        Assert.Equal(3, resumed.State.Rings[0].AcknowledgedFailed);
        var state = Finish(definition, resumed.State, 0, DeviceOutcome.Failed, 2);
        Assert.Equal(RolloutStatus.Running, state.Status);
        state = Finish(definition, state, 0, DeviceOutcome.Failed, 1);
        Assert.Equal(RolloutStatus.Paused, state.Status);
    }

    [Fact]
    public void Resuming_after_an_operator_pause_keeps_counting_failures()
    {
        var definition = Definition(PauseAtThree);
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        paused = Finish(definition, paused, 0, DeviceOutcome.Failed, 3);
        Assert.Equal(RolloutReasonCodes.OperatorPaused, paused.StatusReason); // no evaluation while paused
        var t = Apply(definition, paused, new ResumeRollout());
        Assert.Equal(RolloutStatus.Paused, t.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, t.State.StatusReason);
    }

    // ---- device results ----

    [Fact]
    public void Device_result_for_an_unopened_or_unknown_ring_is_refused()
    {
        var definition = Definition();
        var running = Started(definition);
        AssertRefused(Apply(definition, running, new DeviceFinished(2, DeviceOutcome.Succeeded)), running, RolloutRefusalCodes.RingNotOpen);
        AssertRefused(Apply(definition, running, new DeviceFinished(-1, DeviceOutcome.Succeeded)), running, RolloutRefusalCodes.RingOutOfRange);
    }

    [Fact]
    public void Device_results_while_paused_are_counted_but_advance_nothing()
    {
        var definition = Definition();
        var paused = Apply(definition, Started(definition), new PauseRollout()).State;
        var state = Finish(definition, paused, 0, DeviceOutcome.Succeeded, 10);
        Assert.Equal(10, state.Rings[0].Succeeded);
        Assert.Equal(RingStatus.Active, state.Rings[0].Status);
    }

    [Fact]
    public void Reverted_devices_are_counted_after_an_abort()
    {
        var definition = Definition();
        var aborted = Apply(definition, Finish(definition, Started(definition), 0, DeviceOutcome.Succeeded, 2), new AbortRollout()).State;
        var t = Apply(definition, aborted, new DeviceFinished(0, DeviceOutcome.Reverted));
        Assert.True(t.Changed);
        Assert.Equal(1, t.State.Rings[0].Reverted);
        Assert.Equal(RolloutStatus.Aborted, t.State.Status);
        Assert.Empty(t.Effects);
    }

    [Fact]
    public void State_of_another_rollout_is_rejected()
    {
        var definition = Definition();
        var other = RolloutState.Draft(definition with { Id = "ro-other" }, T0);
        Assert.Throws<ArgumentException>(() => Apply(definition, other, new RolloutTick()));
    }
}
