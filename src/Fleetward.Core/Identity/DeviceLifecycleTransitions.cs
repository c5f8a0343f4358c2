using System.Text.Json;
using Fleetward.Core.Devices;

namespace Fleetward.Core.Identity;

/// <summary>What an operator (or a response playbook) asks of a device's lifecycle.</summary>
public enum DeviceLifecycleAction
{
    Approve,
    Quarantine,
    Release,
    Decommission,
}

/// <summary>The outcome of a requested transition: the new state, or why the device cannot make it.</summary>
public sealed record DeviceLifecycleDecision(bool Allowed, DeviceLifecycleState To, string Reason);

/// <summary>
/// The device lifecycle state machine: pending →(approve) active ⇄(quarantine/release) quarantined, and any state
/// →(decommission) decommissioned, which is final (a decommissioned identity never comes back; enroll a new id).
/// </summary>
public static class DeviceLifecycleTransitions
{
    public static DeviceLifecycleDecision Decide(DeviceLifecycleState from, DeviceLifecycleAction action) => (from, action) switch
    {
        (DeviceLifecycleState.Decommissioned, _) => Refuse(from, "the device is decommissioned, which is final"),
        (DeviceLifecycleState.Pending, DeviceLifecycleAction.Approve) => Allow(DeviceLifecycleState.Active, "approved by an operator"),
        (_, DeviceLifecycleAction.Approve) => Refuse(from, $"only a pending device can be approved; this one is {from.ToName()}"),
        (DeviceLifecycleState.Active, DeviceLifecycleAction.Quarantine) => Allow(DeviceLifecycleState.Quarantined, "quarantined"),
        (_, DeviceLifecycleAction.Quarantine) => Refuse(from, $"only an active device can be quarantined; this one is {from.ToName()}"),
        (DeviceLifecycleState.Quarantined, DeviceLifecycleAction.Release) => Allow(DeviceLifecycleState.Active, "released from quarantine"),
        (_, DeviceLifecycleAction.Release) => Refuse(from, $"only a quarantined device can be released; this one is {from.ToName()}"),
        (_, DeviceLifecycleAction.Decommission) => Allow(DeviceLifecycleState.Decommissioned, "decommissioned"),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    private static DeviceLifecycleDecision Allow(DeviceLifecycleState to, string reason) => new(true, to, reason);

    private static DeviceLifecycleDecision Refuse(DeviceLifecycleState from, string reason) => new(false, from, reason);
}

/// <summary>A lifecycle state change (quarantine, release, decommission); approvals use <see cref="EnrollmentApprovedRecord"/>.</summary>
public sealed record DeviceStateChangedRecord(string DeviceId, DeviceLifecycleState From, DeviceLifecycleState To, string Reason) : DeviceIdentityAuditRecord
{
    public const string EventType = "device.state.changed";

    public override string Type => EventType;

    public override string Subject => DeviceId;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        writer.WriteString("deviceId", DeviceId);
        writer.WriteString("from", From.ToName());
        writer.WriteString("to", To.ToName());
        writer.WriteString("reason", Reason);
    }
}
