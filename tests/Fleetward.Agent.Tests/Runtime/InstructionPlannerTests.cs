using Fleetward.Agent.Runtime;
using Fleetward.Core.DeviceApi;

namespace Fleetward.Agent.Tests.Runtime;

public sealed class InstructionPlannerTests
{
    private static readonly TargetView Target = new("rel_2", "2.0.0", 2, "stable");
    private static readonly SlotRelease Old = new("rel_1", "1.0.0", 1);
    private static readonly SlotRelease New = new("rel_2", "2.0.0", 2);

    // The floor of a device that has not committed 2.0.0 (or whose bad release kept security version 1).
    private const long Floor = 1;

    private static InstructionView Install(int attempt = 1) => new("install", "r1", Target, attempt, null, null);

    private static InstructionView RollBack(string version = "1.0.0") => new("roll-back", "r1", null, null, version, null);

    private static UpdateRecord Record(string kind, string phase, int? attempt = 1) =>
        new(kind, "r1", attempt, kind == "install" ? Target : null, kind == "roll-back" ? "1.0.0" : null, phase, null, true);

    [Theory]
    [InlineData("none")]
    [InlineData("hold")]
    public void None_and_hold_do_nothing(string kind) =>
        Assert.Equal(InstructionAction.Nothing, InstructionPlanner.Decide(new InstructionView(kind, "r1", null, null, null, "outside-maintenance-window"), null, Old, null, false, Floor).Action);

    [Fact]
    public void Install_of_a_new_target_installs() =>
        Assert.Equal(InstructionAction.Install, InstructionPlanner.Decide(Install(), null, Old, null, false, Floor).Action);

    [Fact]
    public void Install_while_isolated_waits_and_says_why()
    {
        var plan = InstructionPlanner.Decide(Install(), null, Old, null, isolated: true, Floor);

        Assert.Equal(InstructionAction.Nothing, plan.Action);
        Assert.Contains("isolated", plan.Reason);
    }

    [Fact]
    public void Install_of_what_already_runs_reports_success() =>
        Assert.Equal(InstructionAction.ReportAlreadyInstalled, InstructionPlanner.Decide(Install(), null, New, Old, false, Floor).Action);

    [Fact]
    public void Install_already_finished_for_this_attempt_reports_the_recorded_outcome() =>
        Assert.Equal(InstructionAction.ReportRecorded, InstructionPlanner.Decide(Install(), Record("install", "failed"), Old, null, false, Floor).Action);

    [Fact]
    public void A_retry_attempt_after_a_failure_installs_again() =>
        Assert.Equal(InstructionAction.Install, InstructionPlanner.Decide(Install(attempt: 2), Record("install", "failed"), Old, null, false, Floor).Action);

    [Fact]
    public void An_unfinished_record_of_the_same_attempt_starts_the_install_over() =>
        Assert.Equal(InstructionAction.Install, InstructionPlanner.Decide(Install(), Record("install", "downloading"), Old, null, false, Floor).Action);

    [Fact]
    public void Install_without_a_target_is_ignored_with_a_reason()
    {
        var plan = InstructionPlanner.Decide(new InstructionView("install", "r1", null, 1, null, null), null, Old, null, false, Floor);

        Assert.Equal(InstructionAction.Nothing, plan.Action);
        Assert.NotNull(plan.Reason);
    }

    [Fact]
    public void Roll_back_to_the_version_in_the_other_slot_switches_slots() =>
        Assert.Equal(InstructionAction.SwitchToOtherSlot, InstructionPlanner.Decide(RollBack(), null, New, Old, false, Floor).Action);

    [Fact]
    public void Roll_back_is_carried_out_even_while_isolated() =>
        Assert.Equal(InstructionAction.SwitchToOtherSlot, InstructionPlanner.Decide(RollBack(), null, New, Old, isolated: true, Floor).Action);

    [Fact]
    public void Roll_back_to_the_running_version_reports_rolled_back() =>
        Assert.Equal(InstructionAction.ReportAlreadyRolledBack, InstructionPlanner.Decide(RollBack(), null, Old, New, false, Floor).Action);

    [Fact]
    public void Roll_back_to_a_version_in_neither_slot_fails_naming_both()
    {
        var plan = InstructionPlanner.Decide(RollBack("0.9.0"), null, New, Old, false, Floor);

        Assert.Equal(InstructionAction.ReportRollbackImpossible, plan.Action);
        Assert.Contains("0.9.0", plan.Reason);
        Assert.Contains("2.0.0", plan.Reason);
    }

    [Fact]
    public void Roll_back_already_finished_reports_the_recorded_outcome() =>
        Assert.Equal(InstructionAction.ReportRecorded, InstructionPlanner.Decide(RollBack(), Record("roll-back", "rolled-back", null), Old, New, false, Floor).Action);

    [Fact]
    public void Roll_back_below_the_anti_rollback_floor_is_refused()
    {
        // 2.0.0 (security version 2) was committed, so the floor is 2: the unsigned order must not boot 1.0.0.
        var plan = InstructionPlanner.Decide(RollBack(), null, New, Old, false, securityVersionFloor: 2);

        Assert.Equal(InstructionAction.ReportRollbackImpossible, plan.Action);
        Assert.Contains("below the anti-rollback floor", plan.Reason);
    }
}
