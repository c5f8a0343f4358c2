using Fleetward.Core.Detection;

namespace Fleetward.Core.Ports;

/// <summary>Geofences configured per model and per device (at most one set per subject).</summary>
public interface IGeofenceRepository
{
    /// <summary>Creates or replaces the set of its scope and subject.</summary>
    Task UpsertAsync(GeofenceSet set, CancellationToken cancellationToken = default);

    Task<GeofenceSet?> GetAsync(GeofenceScope scope, string subject, CancellationToken cancellationToken = default);

    /// <summary>Returns false when there was nothing to remove.</summary>
    Task<bool> DeleteAsync(GeofenceScope scope, string subject, CancellationToken cancellationToken = default);

    /// <summary>Every set, models first, each scope by subject.</summary>
    Task<IReadOnlyList<GeofenceSet>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The fences that apply to a device of a model (<see cref="GeofenceSet.Effective"/>), in one read.</summary>
    Task<IReadOnlyList<Geofence>> GetEffectiveAsync(string deviceId, string model, CancellationToken cancellationToken = default);
}
