using Fleetward.Core.Devices;
using Fleetward.Core.Identity;

namespace Fleetward.Core.Tests.Identity;

public sealed class DeviceLifecycleTransitionsTests
{
    [Theory]
    [InlineData(DeviceLifecycleState.Pending, DeviceLifecycleAction.Approve, DeviceLifecycleState.Active)]
    [InlineData(DeviceLifecycleState.Active, DeviceLifecycleAction.Quarantine, DeviceLifecycleState.Quarantined)]
    [InlineData(DeviceLifecycleState.Quarantined, DeviceLifecycleAction.Release, DeviceLifecycleState.Active)]
    [InlineData(DeviceLifecycleState.Pending, DeviceLifecycleAction.Decommission, DeviceLifecycleState.Decommissioned)]
    [InlineData(DeviceLifecycleState.Active, DeviceLifecycleAction.Decommission, DeviceLifecycleState.Decommissioned)]
    [InlineData(DeviceLifecycleState.Quarantined, DeviceLifecycleAction.Decommission, DeviceLifecycleState.Decommissioned)]
    public void Allowed_transitions_reach_their_state(DeviceLifecycleState from, DeviceLifecycleAction action, DeviceLifecycleState to)
    {
        var decision = DeviceLifecycleTransitions.Decide(from, action);
        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal(to, decision.To);
    }

    [Theory]
    [InlineData(DeviceLifecycleState.Active, DeviceLifecycleAction.Approve, "only a pending device")]
    [InlineData(DeviceLifecycleState.Quarantined, DeviceLifecycleAction.Approve, "only a pending device")]
    [InlineData(DeviceLifecycleState.Pending, DeviceLifecycleAction.Quarantine, "only an active device")]
    [InlineData(DeviceLifecycleState.Active, DeviceLifecycleAction.Release, "only a quarantined device")]
    [InlineData(DeviceLifecycleState.Decommissioned, DeviceLifecycleAction.Release, "final")]
    [InlineData(DeviceLifecycleState.Decommissioned, DeviceLifecycleAction.Approve, "final")]
    [InlineData(DeviceLifecycleState.Decommissioned, DeviceLifecycleAction.Decommission, "final")]
    public void Refused_transitions_keep_the_state_and_say_why(DeviceLifecycleState from, DeviceLifecycleAction action, string reason)
    {
        var decision = DeviceLifecycleTransitions.Decide(from, action);
        Assert.False(decision.Allowed);
        Assert.Equal(from, decision.To);
        Assert.Contains(reason, decision.Reason);
    }

    [Fact]
    public void State_change_record_names_both_states()
    {
        var audit = new DeviceStateChangedRecord("robot-1", DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined, "mirai scan")
            .ToAuditEvent(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "token:abc");
        Assert.Equal("device.state.changed", audit.Type);
        Assert.Equal("robot-1", audit.Subject);
        Assert.Equal("""{"deviceId":"robot-1","from":"active","to":"quarantined","reason":"mirai scan"}""", audit.PayloadJson);
    }
}
