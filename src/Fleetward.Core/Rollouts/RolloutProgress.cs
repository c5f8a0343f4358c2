namespace Fleetward.Core.Rollouts;

/// <summary>The result of one device event: the assignment's transition and, when it reached an outcome, the rollout's.</summary>
public sealed record DeviceEventResult(DeviceUpdateTransition Device, RolloutTransition? Rollout);

/// <summary>
/// Applies a device event to the assignment and, only when the assignment newly reaches an outcome, the matching
/// <see cref="DeviceFinished"/> to the rollout. The caller stores both results in one transaction while holding
/// the rollout row (lock or version check) and the assignment row, which is what makes a repeated or
/// concurrent report count exactly once.
/// </summary>
public static class RolloutProgress
{
    public static DeviceEventResult ApplyDeviceEvent(
        RolloutDefinition definition, RolloutState rollout, DeviceAssignment assignment, DeviceUpdateEvent @event, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(assignment);
        if (assignment.RolloutId != definition.Id)
            throw new ArgumentException($"assignment belongs to rollout '{assignment.RolloutId}', not '{definition.Id}'", nameof(assignment));

        var device = DeviceUpdateMachine.Apply(definition, assignment, @event, now);
        if (device.Outcome is not { } outcome)
            return new DeviceEventResult(device, null);
        var rolloutTransition = RolloutStateMachine.Apply(definition, rollout, new DeviceFinished(assignment.RingIndex, outcome), now);
        return new DeviceEventResult(device, rolloutTransition);
    }
}
