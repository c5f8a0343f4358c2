using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Ports;

/// <summary>
/// What a device last reported about the software it runs, at its last check-in. Rollouts target devices by it
/// (current version, anti-downgrade) and the operator sees it.
/// </summary>
/// <param name="Slot">The A/B slot the device booted from ("a", "b", or a backend's own name).</param>
/// <param name="Health">The device's own health verdict (for example "healthy", "degraded").</param>
public sealed record DeviceSoftwareState(
    string DeviceId,
    string? ReleaseId,
    string? Version,
    long? SecurityVersion,
    string? Slot,
    string? Health,
    DateTimeOffset CheckedInAt);

/// <summary>The reported software state of devices, one row per device.</summary>
public interface IRolloutDeviceSoftwareRepository
{
    /// <summary>Inserts or replaces the device's state.</summary>
    Task UpsertAsync(DeviceSoftwareState state, CancellationToken cancellationToken = default);

    Task<DeviceSoftwareState?> GetAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The planner's view of active devices (model, tags, reported version and security version) in id order after
    /// <paramref name="afterId"/>: one page of the stream <see cref="RolloutPlanner.CountRings"/> consumes.
    /// </summary>
    Task<IReadOnlyList<DeviceFacts>> ListActiveFactsAsync(string? afterId, int limit, CancellationToken cancellationToken = default);
}
