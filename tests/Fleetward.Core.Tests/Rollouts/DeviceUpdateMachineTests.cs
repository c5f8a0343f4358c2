using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class DeviceUpdateMachineTests
{
    private static readonly DateTimeOffset T0 = RolloutSamples.T0;
    private static readonly RolloutDefinition OneRetry = RolloutSamples.Definition(maxRetries: 1);
    private static readonly RolloutDefinition NoRetry = RolloutSamples.Definition(maxRetries: 0);

    private static DeviceAssignment Assigned() => DeviceAssignment.Create("ro-1", "dev-1", 0, 42, "1.0.0", T0);

    private static DeviceUpdateTransition Apply(DeviceAssignment a, DeviceUpdateEvent e, DateTimeOffset at, RolloutDefinition? definition = null) =>
        DeviceUpdateMachine.Apply(definition ?? OneRetry, a, e, at);

    private static DeviceAssignment At(DeviceUpdateStatus status)
    {
        var a = Assigned();
        var minute = 1;
        foreach (var phase in new[] { DeviceUpdateStatus.Downloading, DeviceUpdateStatus.Downloaded, DeviceUpdateStatus.Installing, DeviceUpdateStatus.Rebooting, DeviceUpdateStatus.Verifying, DeviceUpdateStatus.Succeeded })
        {
            if (phase > status)
                break;
            a = Apply(a, new DevicePhaseReported(phase), T0.AddMinutes(minute++)).Assignment;
        }
        return a;
    }

    private static void AssertRefused(DeviceUpdateTransition t, DeviceAssignment before, string code)
    {
        Assert.False(t.Accepted);
        Assert.Equal(code, t.Refusal!.Code);
        Assert.False(t.Changed);
        Assert.Same(before, t.Assignment);
        Assert.Null(t.Outcome);
    }

    [Fact]
    public void New_assignment_is_assigned_on_its_first_attempt()
    {
        var a = Assigned();
        Assert.Equal(DeviceUpdateStatus.Assigned, a.Status);
        Assert.Equal(1, a.Attempt);
        Assert.Equal(T0, a.AssignedAt);
        Assert.Null(a.AttemptStartedAt);
    }

    [Fact]
    public void Assigned_to_downloading_starts_the_attempt()
    {
        var t = Apply(Assigned(), new DevicePhaseReported(DeviceUpdateStatus.Downloading), T0.AddMinutes(1));
        Assert.Equal(DeviceUpdateStatus.Downloading, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(1), t.Assignment.AttemptStartedAt);
        Assert.Equal(T0.AddMinutes(1), t.Assignment.DownloadingAt);
        Assert.Equal(1, t.Assignment.Version);
        Assert.Null(t.Outcome);
    }

    [Fact]
    public void Downloading_to_downloaded()
    {
        var t = Apply(At(DeviceUpdateStatus.Downloading), new DevicePhaseReported(DeviceUpdateStatus.Downloaded), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.Downloaded, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(9), t.Assignment.DownloadedAt);
    }

    [Fact]
    public void Downloaded_to_installing()
    {
        var t = Apply(At(DeviceUpdateStatus.Downloaded), new DevicePhaseReported(DeviceUpdateStatus.Installing), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.Installing, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(9), t.Assignment.InstallingAt);
    }

    [Fact]
    public void Installing_to_rebooting()
    {
        var t = Apply(At(DeviceUpdateStatus.Installing), new DevicePhaseReported(DeviceUpdateStatus.Rebooting), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.Rebooting, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(9), t.Assignment.RebootingAt);
    }

    [Fact]
    public void Rebooting_to_verifying()
    {
        var t = Apply(At(DeviceUpdateStatus.Rebooting), new DevicePhaseReported(DeviceUpdateStatus.Verifying), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.Verifying, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(9), t.Assignment.VerifyingAt);
    }

    [Fact]
    public void Verifying_to_succeeded_yields_the_outcome()
    {
        var t = Apply(At(DeviceUpdateStatus.Verifying), new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.Succeeded, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(9), t.Assignment.FinishedAt);
        Assert.Equal(DeviceOutcome.Succeeded, t.Outcome);
    }

    [Fact]
    public void Phases_missed_between_check_ins_are_skipped()
    {
        var t = Apply(Assigned(), new DevicePhaseReported(DeviceUpdateStatus.Rebooting), T0.AddMinutes(4));
        Assert.Equal(DeviceUpdateStatus.Rebooting, t.Assignment.Status);
        Assert.Equal(T0.AddMinutes(4), t.Assignment.AttemptStartedAt);
        Assert.Null(t.Assignment.DownloadingAt);
    }

    [Fact]
    public void Repeated_report_changes_nothing()
    {
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        var t = Apply(succeeded, new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddHours(1));
        Assert.True(t.Accepted);
        Assert.False(t.Changed);
        Assert.Null(t.Outcome);
        Assert.Same(succeeded, t.Assignment);
    }

    [Fact]
    public void Older_report_is_refused_as_stale()
    {
        var installing = At(DeviceUpdateStatus.Installing);
        AssertRefused(Apply(installing, new DevicePhaseReported(DeviceUpdateStatus.Downloading), T0.AddHours(1)), installing, DeviceUpdateRefusalCodes.StaleReport);
    }

    [Fact]
    public void Progress_after_the_end_is_refused()
    {
        var failed = Apply(At(DeviceUpdateStatus.Installing), new DeviceFailureReported("disk full"), T0.AddHours(1), NoRetry).Assignment;
        AssertRefused(Apply(failed, new DevicePhaseReported(DeviceUpdateStatus.Verifying), T0.AddHours(2)), failed, DeviceUpdateRefusalCodes.AssignmentFinished);
    }

    [Theory]
    [InlineData(DeviceUpdateStatus.Assigned)]
    [InlineData(DeviceUpdateStatus.Failed)]
    [InlineData(DeviceUpdateStatus.RolledBack)]
    public void Only_progress_phases_can_be_reported(DeviceUpdateStatus phase)
    {
        var a = At(DeviceUpdateStatus.Downloading);
        AssertRefused(Apply(a, new DevicePhaseReported(phase), T0.AddHours(1)), a, DeviceUpdateRefusalCodes.NotAPhase);
    }

    [Fact]
    public void Failure_with_a_retry_left_reassigns_the_device()
    {
        var t = Apply(At(DeviceUpdateStatus.Installing), new DeviceFailureReported("signature mismatch"), T0.AddMinutes(10));
        Assert.Equal(DeviceUpdateStatus.Assigned, t.Assignment.Status);
        Assert.Equal(2, t.Assignment.Attempt);
        Assert.Equal("signature mismatch", t.Assignment.FailureReason);
        Assert.True(t.Retrying);
        Assert.Null(t.Outcome);
        Assert.Null(t.Assignment.AttemptStartedAt);
        Assert.Null(t.Assignment.InstallingAt);
        Assert.Equal(T0, t.Assignment.AssignedAt);
    }

    [Fact]
    public void Failure_without_retries_left_fails_with_its_reason()
    {
        var retried = Apply(At(DeviceUpdateStatus.Installing), new DeviceFailureReported("disk full"), T0.AddMinutes(10)).Assignment;
        var t = Apply(retried, new DeviceFailureReported("disk still full"), T0.AddMinutes(20));
        Assert.Equal(DeviceUpdateStatus.Failed, t.Assignment.Status);
        Assert.Equal("disk still full", t.Assignment.FailureReason);
        Assert.Equal(T0.AddMinutes(20), t.Assignment.FinishedAt);
        Assert.Equal(DeviceOutcome.Failed, t.Outcome);
        Assert.False(t.Retrying);
    }

    [Fact]
    public void Failure_report_after_the_end_is_refused()
    {
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        AssertRefused(Apply(succeeded, new DeviceFailureReported("late"), T0.AddHours(1)), succeeded, DeviceUpdateRefusalCodes.NotInProgress);
    }

    [Fact]
    public void Attempt_within_the_install_timeout_keeps_running()
    {
        var downloading = At(DeviceUpdateStatus.Downloading); // started at T0+1min, timeout 30 min
        var t = Apply(downloading, new DeviceUpdateTick(), T0.AddMinutes(30).AddSeconds(59));
        Assert.False(t.Changed);
    }

    [Fact]
    public void Attempt_past_the_install_timeout_is_retried()
    {
        var t = Apply(At(DeviceUpdateStatus.Verifying), new DeviceUpdateTick(), T0.AddMinutes(31));
        Assert.Equal(DeviceUpdateStatus.Assigned, t.Assignment.Status);
        Assert.Equal(DeviceFailureReasons.InstallTimeout, t.Assignment.FailureReason);
        Assert.True(t.Retrying);
    }

    [Fact]
    public void Last_attempt_past_the_install_timeout_fails()
    {
        var t = Apply(At(DeviceUpdateStatus.Downloading), new DeviceUpdateTick(), T0.AddMinutes(31), NoRetry);
        Assert.Equal(DeviceUpdateStatus.Failed, t.Assignment.Status);
        Assert.Equal(DeviceFailureReasons.InstallTimeout, t.Assignment.FailureReason);
        Assert.Equal(DeviceOutcome.Failed, t.Outcome);
    }

    [Fact]
    public void Assignment_not_yet_started_never_times_out()
    {
        Assert.False(Apply(Assigned(), new DeviceUpdateTick(), T0.AddDays(30), NoRetry).Changed);
    }

    [Fact]
    public void Fallback_to_the_old_slot_rolls_back_without_retry()
    {
        var t = Apply(At(DeviceUpdateStatus.Verifying), new DeviceFellBack("boot limit exceeded"), T0.AddMinutes(9));
        Assert.Equal(DeviceUpdateStatus.RolledBack, t.Assignment.Status);
        Assert.Equal("boot limit exceeded", t.Assignment.FailureReason);
        Assert.Equal(DeviceOutcome.Failed, t.Outcome);
        Assert.False(t.Retrying);
        Assert.Null(t.Assignment.RollbackOrderedAt);
    }

    [Fact]
    public void Fallback_after_success_is_refused()
    {
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        AssertRefused(Apply(succeeded, new DeviceFellBack("late"), T0.AddHours(1)), succeeded, DeviceUpdateRefusalCodes.NotInProgress);
    }

    [Theory]
    [InlineData(DeviceUpdateStatus.Installing)]
    [InlineData(DeviceUpdateStatus.Rebooting)]
    [InlineData(DeviceUpdateStatus.Verifying)]
    [InlineData(DeviceUpdateStatus.Succeeded)]
    public void Rollback_order_after_install_started_makes_it_pending(DeviceUpdateStatus status)
    {
        var t = Apply(At(status), new DeviceRollbackOrdered(), T0.AddHours(1));
        Assert.Equal(DeviceUpdateStatus.RollbackPending, t.Assignment.Status);
        Assert.Equal(T0.AddHours(1), t.Assignment.RollbackOrderedAt);
        Assert.Null(t.Assignment.FinishedAt);
        Assert.Null(t.Outcome);
    }

    [Theory]
    [InlineData(DeviceUpdateStatus.Assigned)]
    [InlineData(DeviceUpdateStatus.Downloading)]
    [InlineData(DeviceUpdateStatus.Downloaded)]
    public void Rollback_order_before_install_withdraws(DeviceUpdateStatus status)
    {
        var t = Apply(At(status), new DeviceRollbackOrdered(), T0.AddHours(1));
        Assert.Equal(DeviceUpdateStatus.Withdrawn, t.Assignment.Status);
        Assert.Null(t.Outcome);
    }

    [Fact]
    public void Rollback_order_for_a_device_that_never_installed_changes_nothing()
    {
        var rolledBack = Apply(At(DeviceUpdateStatus.Verifying), new DeviceFellBack("health"), T0.AddMinutes(9)).Assignment;
        Assert.False(Apply(rolledBack, new DeviceRollbackOrdered(), T0.AddHours(1)).Changed);
        var pending = Apply(At(DeviceUpdateStatus.Succeeded), new DeviceRollbackOrdered(), T0.AddHours(1)).Assignment;
        Assert.False(Apply(pending, new DeviceRollbackOrdered(), T0.AddHours(2)).Changed);
    }

    [Fact]
    public void Rollback_pending_to_rolled_back_counts_as_reverted()
    {
        var pending = Apply(At(DeviceUpdateStatus.Succeeded), new DeviceRollbackOrdered(), T0.AddHours(1)).Assignment;
        var t = Apply(pending, new DeviceRollbackCompleted(), T0.AddHours(2));
        Assert.Equal(DeviceUpdateStatus.RolledBack, t.Assignment.Status);
        Assert.Equal(T0.AddHours(2), t.Assignment.FinishedAt);
        Assert.Equal(DeviceOutcome.Reverted, t.Outcome);
        var again = Apply(t.Assignment, new DeviceRollbackCompleted(), T0.AddHours(3));
        Assert.False(again.Changed);
        Assert.Null(again.Outcome);
    }

    [Fact]
    public void Progress_after_a_rollback_order_is_refused()
    {
        var pending = Apply(At(DeviceUpdateStatus.Verifying), new DeviceRollbackOrdered(), T0.AddHours(1)).Assignment;
        AssertRefused(Apply(pending, new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddHours(2)), pending, DeviceUpdateRefusalCodes.RollbackPending);
    }

    [Fact]
    public void Rollback_completion_without_an_order_is_refused()
    {
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        AssertRefused(Apply(succeeded, new DeviceRollbackCompleted(), T0.AddHours(1)), succeeded, DeviceUpdateRefusalCodes.NoRollbackOrdered);
    }

    [Fact]
    public void Rollback_pending_to_failed_when_the_device_cannot_return()
    {
        var pending = Apply(At(DeviceUpdateStatus.Succeeded), new DeviceRollbackOrdered(), T0.AddHours(1)).Assignment;
        var t = Apply(pending, new DeviceRollbackFailed("old slot corrupt"), T0.AddHours(2));
        Assert.Equal(DeviceUpdateStatus.Failed, t.Assignment.Status);
        Assert.Equal("rollback-failed: old slot corrupt", t.Assignment.FailureReason);
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        AssertRefused(Apply(succeeded, new DeviceRollbackFailed("x"), T0.AddHours(1)), succeeded, DeviceUpdateRefusalCodes.NoRollbackOrdered);
    }

    private static readonly TimeSpan RollbackTimeout = TimeSpan.FromHours(6);

    private static DeviceAssignment OrderedBack() => Apply(At(DeviceUpdateStatus.Succeeded), new DeviceRollbackOrdered(), T0.AddHours(1)).Assignment;

    [Fact]
    public void Rollback_pending_to_unresponsive_once_the_rollback_timeout_passes()
    {
        var pending = OrderedBack();
        Assert.False(Apply(pending, new DeviceUpdateTick(RollbackTimeout), T0.AddHours(7) - TimeSpan.FromSeconds(1)).Changed);
        var t = Apply(pending, new DeviceUpdateTick(RollbackTimeout), T0.AddHours(7));
        Assert.Equal(DeviceUpdateStatus.RollbackUnresponsive, t.Assignment.Status);
        Assert.Equal(DeviceFailureReasons.RollbackUnresponsive, t.Assignment.FailureReason);
        Assert.Equal(T0.AddHours(7), t.Assignment.FinishedAt);
        Assert.True(t.Assignment.IsOrderedBack);
        Assert.Null(t.Outcome);
        Assert.False(Apply(t.Assignment, new DeviceUpdateTick(RollbackTimeout), T0.AddHours(8)).Changed);
    }

    [Fact]
    public void Rollback_pending_never_times_out_without_a_rollback_timeout()
    {
        Assert.False(Apply(OrderedBack(), new DeviceUpdateTick(), T0.AddDays(365)).Changed);
    }

    [Fact]
    public void Unresponsive_to_rolled_back_when_the_device_reports_it_returned_after_all()
    {
        var unresponsive = Apply(OrderedBack(), new DeviceUpdateTick(RollbackTimeout), T0.AddHours(7)).Assignment;
        var t = Apply(unresponsive, new DeviceRollbackCompleted(), T0.AddHours(9));
        Assert.Equal(DeviceUpdateStatus.RolledBack, t.Assignment.Status);
        Assert.Equal(DeviceOutcome.Reverted, t.Outcome);
        Assert.Equal(T0.AddHours(9), t.Assignment.FinishedAt);
    }

    [Fact]
    public void Unresponsive_to_failed_when_the_device_reports_it_cannot_return()
    {
        var unresponsive = Apply(OrderedBack(), new DeviceUpdateTick(RollbackTimeout), T0.AddHours(7)).Assignment;
        var t = Apply(unresponsive, new DeviceRollbackFailed("old slot corrupt"), T0.AddHours(9));
        Assert.Equal(DeviceUpdateStatus.Failed, t.Assignment.Status);
        Assert.Equal("rollback-failed: old slot corrupt", t.Assignment.FailureReason);
    }

    [Fact]
    public void Unresponsive_device_refuses_progress_withdrawal_and_a_second_order()
    {
        var unresponsive = Apply(OrderedBack(), new DeviceUpdateTick(RollbackTimeout), T0.AddHours(7)).Assignment;
        AssertRefused(Apply(unresponsive, new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddHours(8)), unresponsive, DeviceUpdateRefusalCodes.RollbackPending);
        AssertRefused(Apply(unresponsive, new DeviceWithdrawn(), T0.AddHours(8)), unresponsive, DeviceUpdateRefusalCodes.AssignmentFinished);
        Assert.False(Apply(unresponsive, new DeviceRollbackOrdered(), T0.AddHours(8)).Changed);
    }

    [Theory]
    [InlineData(DeviceUpdateStatus.Assigned)]
    [InlineData(DeviceUpdateStatus.Downloaded)]
    public void Unstarted_assignment_is_withdrawn(DeviceUpdateStatus status)
    {
        var t = Apply(At(status), new DeviceWithdrawn(), T0.AddHours(1));
        Assert.Equal(DeviceUpdateStatus.Withdrawn, t.Assignment.Status);
        Assert.Equal(T0.AddHours(1), t.Assignment.FinishedAt);
        Assert.False(Apply(t.Assignment, new DeviceWithdrawn(), T0.AddHours(2)).Changed);
    }

    [Fact]
    public void Installing_device_is_not_withdrawn()
    {
        var installing = At(DeviceUpdateStatus.Installing);
        AssertRefused(Apply(installing, new DeviceWithdrawn(), T0.AddHours(1)), installing, DeviceUpdateRefusalCodes.InstallStarted);
        var succeeded = At(DeviceUpdateStatus.Succeeded);
        AssertRefused(Apply(succeeded, new DeviceWithdrawn(), T0.AddHours(1)), succeeded, DeviceUpdateRefusalCodes.AssignmentFinished);
    }
}
