using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

public sealed class InstallRecoveryTests
{
    private static InstallJournal Journal(InstallPhase phase, string? reason = null) =>
        new("v2", Slot.B, Slot.A, 100, new string('0', 64), phase, reason);

    private static readonly BootEnvironment Settled = new(Slot.A, false, 0, 3);
    private static readonly BootEnvironment Trial = new(Slot.B, true, 1, 3);
    private static readonly BootEnvironment Committed = new(Slot.B, false, 0, 3);
    private static readonly BootEnvironment LimitFallback = new(Slot.A, false, 4, 3);

    [Fact]
    public void No_journal_needs_nothing() => Assert.Equal(RecoveryAction.None, InstallRecovery.Decide(null, Settled, Slot.A).Action);

    [Theory]
    [InlineData(InstallPhase.Succeeded)]
    [InlineData(InstallPhase.Failed)]
    [InlineData(InstallPhase.RolledBack)]
    public void Finished_install_needs_nothing(InstallPhase phase) =>
        Assert.Equal(RecoveryAction.None, InstallRecovery.Decide(Journal(phase), Settled, Slot.A).Action);

    [Fact]
    public void Interrupted_write_fails()
    {
        var decision = InstallRecovery.Decide(Journal(InstallPhase.Writing), Settled, Slot.A);
        Assert.Equal(new RecoveryDecision(RecoveryAction.MarkFailed, "interrupted while writing the image to slot b"), decision);
    }

    [Fact]
    public void Written_image_without_trial_arms_it() =>
        Assert.Equal(RecoveryAction.ArmTrialAndReboot, InstallRecovery.Decide(Journal(InstallPhase.Written), Settled, Slot.A).Action);

    [Theory]
    [InlineData(InstallPhase.Written)]
    [InlineData(InstallPhase.Rebooting)]
    [InlineData(InstallPhase.Verifying)]
    public void Armed_trial_not_yet_booted_reboots(InstallPhase phase) =>
        Assert.Equal(RecoveryAction.Reboot, InstallRecovery.Decide(Journal(phase), Trial, Slot.A).Action);

    [Theory]
    [InlineData(InstallPhase.Written)]
    [InlineData(InstallPhase.Rebooting)]
    [InlineData(InstallPhase.Verifying)]
    public void Running_the_trial_slot_verifies(InstallPhase phase) =>
        Assert.Equal(RecoveryAction.Verify, InstallRecovery.Decide(Journal(phase), Trial, Slot.B).Action);

    [Fact]
    public void Committed_environment_marks_success() =>
        Assert.Equal(RecoveryAction.MarkSucceeded, InstallRecovery.Decide(Journal(InstallPhase.Verifying), Committed, Slot.B).Action);

    [Theory]
    [InlineData(InstallPhase.Written)]
    [InlineData(InstallPhase.Rebooting)]
    [InlineData(InstallPhase.Verifying)]
    public void Boot_loader_fallback_past_the_limit_is_a_rollback(InstallPhase phase)
    {
        var decision = InstallRecovery.Decide(Journal(phase), LimitFallback, Slot.A);
        Assert.Equal(RecoveryAction.MarkRolledBack, decision.Action);
        Assert.Equal("boot limit exceeded: slot b booted 4 times, limit 3", decision.Reason);
    }

    [Fact]
    public void Falling_back_and_running_the_old_slot_is_a_rollback_with_the_recorded_reason()
    {
        var decision = InstallRecovery.Decide(Journal(InstallPhase.FallingBack, "health check failed: x"), Settled, Slot.A);
        Assert.Equal(new RecoveryDecision(RecoveryAction.MarkRolledBack, "health check failed: x"), decision);
    }

    [Fact]
    public void Falling_back_while_still_on_the_trial_slot_falls_back_again()
    {
        var decision = InstallRecovery.Decide(Journal(InstallPhase.FallingBack, "health check failed: x"), Trial, Slot.B);
        Assert.Equal(new RecoveryDecision(RecoveryAction.FallBack, "health check failed: x"), decision);
    }

    [Fact]
    public void Environment_reset_to_the_old_slot_while_on_it_is_a_rollback()
    {
        var decision = InstallRecovery.Decide(Journal(InstallPhase.Rebooting), Settled, Slot.A);
        Assert.Equal(new RecoveryDecision(RecoveryAction.MarkRolledBack, "boot environment was returned to slot a"), decision);
    }

    [Fact]
    public void Environment_reset_to_the_old_slot_while_on_the_new_one_falls_back() =>
        Assert.Equal(RecoveryAction.FallBack, InstallRecovery.Decide(Journal(InstallPhase.Verifying), Settled, Slot.B).Action);

    [Fact]
    public void Inconsistent_environment_falls_back_to_the_known_good_slot()
    {
        var decision = InstallRecovery.Decide(Journal(InstallPhase.Rebooting), new BootEnvironment(Slot.A, true, 1, 3), Slot.A);
        Assert.Equal(RecoveryAction.FallBack, decision.Action);
        Assert.StartsWith("inconsistent boot environment", decision.Reason);
    }
}
