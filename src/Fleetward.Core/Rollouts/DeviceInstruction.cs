using Fleetward.Core.Policy;

namespace Fleetward.Core.Rollouts;

/// <summary>What a check-in answer tells a device about its assignment.</summary>
public enum DeviceInstructionKind
{
    /// <summary>Nothing to do for this rollout.</summary>
    None,
    /// <summary>Fetch and install the release (the device verifies it through TUF first).</summary>
    Install,
    /// <summary>Keep the assignment but do not start or continue now; <see cref="DeviceInstruction.Reason"/> says why.</summary>
    Hold,
    /// <summary>Return to the previous release.</summary>
    RollBack,
}

/// <summary>
/// The check-in answer for a device that has an assignment. The server re-decides it at every check-in from
/// the stored state, so a pause, an abort, a closed window or a failed gate reaches the device on its next call.
/// </summary>
/// <param name="Release">Set for <see cref="DeviceInstructionKind.Install"/>.</param>
/// <param name="RollbackToVersion">Set for <see cref="DeviceInstructionKind.RollBack"/>: the version the device ran when assigned.</param>
/// <param name="Reason">Set for <see cref="DeviceInstructionKind.Hold"/>: an <see cref="AssignmentVerdicts"/> code.</param>
public sealed record DeviceInstruction(DeviceInstructionKind Kind, ReleaseReference? Release, string? RollbackToVersion, string? Reason)
{
    public static DeviceInstruction None { get; } = new(DeviceInstructionKind.None, null, null, null);

    /// <summary>
    /// Rules: a rollback order is always passed on (returning to the old release is safe even for a refused device).
    /// A finished assignment needs nothing. An attempt in progress continues only while the zero-trust gate
    /// allows it and the rollout has not aborted. An attempt not yet started additionally waits while the rollout
    /// accepts no assignments (paused, cancelled) and while no maintenance window is open.
    /// </summary>
    public static DeviceInstruction For(RolloutDefinition definition, RolloutState rollout, DeviceAssignment assignment, GateDecision gate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(gate);

        if (assignment.IsOrderedBack)
            return new DeviceInstruction(DeviceInstructionKind.RollBack, null, assignment.PreviousVersion, null);
        if (!assignment.IsInProgress)
            return None;
        if (!gate.Allowed)
            return Hold(AssignmentVerdict.GateRefused);
        if (rollout.Status == RolloutStatus.Aborted)
            return Hold(AssignmentVerdict.RolloutNotRunning);

        if (assignment.Status == DeviceUpdateStatus.Assigned)
        {
            if (!rollout.AcceptsAssignments)
                return Hold(AssignmentVerdict.RolloutNotRunning);
            if (!definition.Maintenance.Permits(definition.Release, now))
                return Hold(AssignmentVerdict.OutsideMaintenanceWindow);
        }
        return new DeviceInstruction(DeviceInstructionKind.Install, definition.Release, null, null);
    }

    private static DeviceInstruction Hold(AssignmentVerdict verdict) =>
        new(DeviceInstructionKind.Hold, null, null, verdict.ToCode());
}
