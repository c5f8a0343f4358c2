using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Ports;

/// <summary>How many assignments of one ring are in one status (for the status view).</summary>
public sealed record AssignmentCount(int RingIndex, DeviceUpdateStatus Status, int Count);

/// <summary>
/// Device assignments (one row per rollout and device). Writes are compare-and-set on
/// <see cref="DeviceAssignment.Version"/>; callers hold the rollout row (<see cref="RolloutLock.Update"/>)
/// whenever the change also moves the rollout's counters.
/// </summary>
public interface IRolloutAssignmentRepository
{
    /// <summary>Returns false when the device already has an assignment in that rollout.</summary>
    Task<bool> InsertAsync(DeviceAssignment assignment, CancellationToken cancellationToken = default);

    Task<DeviceAssignment?> GetAsync(string rolloutId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The device's assignments that still need work (in progress or rollback pending), oldest first.</summary>
    Task<IReadOnlyList<DeviceAssignment>> ListOpenForDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Ids of the rollouts the device has any assignment in, so check-in does not offer a rollout twice.</summary>
    Task<IReadOnlyList<string>> ListRolloutIdsForDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The rollout's assignments in one of <paramref name="statuses"/>, by device id after <paramref name="afterDeviceId"/>.</summary>
    Task<IReadOnlyList<DeviceAssignment>> ListByStatusAsync(string rolloutId, IReadOnlyCollection<DeviceUpdateStatus> statuses, string? afterDeviceId, int limit, CancellationToken cancellationToken = default);

    /// <summary>In-progress assignments whose current attempt started at or before <paramref name="startedAtOrBefore"/> (install timeout candidates).</summary>
    Task<IReadOnlyList<DeviceAssignment>> ListAttemptsStartedBeforeAsync(string rolloutId, DateTimeOffset startedAtOrBefore, int limit, CancellationToken cancellationToken = default);

    /// <summary>Assignments of the rollout made at or after <paramref name="since"/> (the rate limit's window).</summary>
    Task<int> CountAssignedSinceAsync(string rolloutId, DateTimeOffset since, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AssignmentCount>> CountByRingAndStatusAsync(string rolloutId, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="assignment"/> only where the stored version is still <paramref name="expectedVersion"/>.</summary>
    Task<bool> UpdateAsync(DeviceAssignment assignment, long expectedVersion, CancellationToken cancellationToken = default);
}
