using Fleetward.Core.Policy;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class DeviceInstructionTests
{
    private static readonly DateTimeOffset T0 = RolloutSamples.T0;
    private static readonly RolloutDefinition Definition = RolloutSamples.Definition();
    private static readonly GateDecision Refused = new([new GateRefusal(GateRefusalCodes.DeviceQuarantined, "quarantined")]);

    private static RolloutState State(RolloutStatus status) => RolloutState.Draft(Definition, T0) with { Status = status };

    private static DeviceAssignment Assignment(DeviceUpdateStatus status) =>
        DeviceAssignment.Create(Definition.Id, "dev-1", 0, 3, "1.0.0", T0) with { Status = status };

    private static DeviceInstruction For(RolloutStatus rollout, DeviceUpdateStatus device, GateDecision? gate = null, RolloutDefinition? definition = null) =>
        DeviceInstruction.For(definition ?? Definition, State(rollout), Assignment(device), gate ?? GateDecision.Allow, T0);

    [Fact]
    public void Running_rollout_tells_an_assigned_device_to_install_the_release()
    {
        var instruction = For(RolloutStatus.Running, DeviceUpdateStatus.Assigned);
        Assert.Equal(DeviceInstructionKind.Install, instruction.Kind);
        Assert.Equal(RolloutSamples.Release, instruction.Release);
    }

    [Fact]
    public void Rollback_order_names_the_previous_version_even_for_a_refused_device()
    {
        var instruction = For(RolloutStatus.Aborted, DeviceUpdateStatus.RollbackPending, Refused);
        Assert.Equal(DeviceInstructionKind.RollBack, instruction.Kind);
        Assert.Equal("1.0.0", instruction.RollbackToVersion);
    }

    [Fact]
    public void Unresponsive_rollback_still_orders_the_device_back()
    {
        var instruction = For(RolloutStatus.Aborted, DeviceUpdateStatus.RollbackUnresponsive, Refused);
        Assert.Equal(DeviceInstructionKind.RollBack, instruction.Kind);
        Assert.Equal("1.0.0", instruction.RollbackToVersion);
    }

    [Theory]
    [InlineData(DeviceUpdateStatus.Succeeded)]
    [InlineData(DeviceUpdateStatus.Failed)]
    [InlineData(DeviceUpdateStatus.RolledBack)]
    [InlineData(DeviceUpdateStatus.Withdrawn)]
    public void Finished_assignment_needs_nothing(DeviceUpdateStatus status)
    {
        Assert.Equal(DeviceInstruction.None, For(RolloutStatus.Running, status));
    }

    [Fact]
    public void Gate_refusal_holds_even_an_attempt_in_progress()
    {
        var instruction = For(RolloutStatus.Running, DeviceUpdateStatus.Downloading, Refused);
        Assert.Equal(DeviceInstructionKind.Hold, instruction.Kind);
        Assert.Equal("gate-refused", instruction.Reason);
    }

    [Fact]
    public void Paused_rollout_holds_unstarted_devices_and_lets_started_ones_finish()
    {
        Assert.Equal(DeviceInstructionKind.Hold, For(RolloutStatus.Paused, DeviceUpdateStatus.Assigned).Kind);
        Assert.Equal(DeviceInstructionKind.Install, For(RolloutStatus.Paused, DeviceUpdateStatus.Downloaded).Kind);
    }

    [Fact]
    public void Completed_rollout_lets_a_straggler_install_and_cancelled_holds_it()
    {
        Assert.Equal(DeviceInstructionKind.Install, For(RolloutStatus.Completed, DeviceUpdateStatus.Assigned).Kind);
        Assert.Equal(DeviceInstructionKind.Hold, For(RolloutStatus.Cancelled, DeviceUpdateStatus.Assigned).Kind);
    }

    [Fact]
    public void Aborted_rollout_holds_devices_not_yet_ordered_back()
    {
        Assert.Equal("rollout-not-running", For(RolloutStatus.Aborted, DeviceUpdateStatus.Installing).Reason);
    }

    [Fact]
    public void Closed_window_holds_an_unstarted_device()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var definition = RolloutSamples.Definition(maintenance: new MaintenancePolicy([window], false));
        Assert.Equal("outside-maintenance-window", For(RolloutStatus.Running, DeviceUpdateStatus.Assigned, definition: definition).Reason);
        Assert.Equal(DeviceInstructionKind.Install, For(RolloutStatus.Running, DeviceUpdateStatus.Installing, definition: definition).Kind);
    }
}
