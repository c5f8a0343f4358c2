using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Ports;

/// <summary>A rollout as stored: the operator's immutable definition and its moving state.</summary>
public sealed record StoredRollout(RolloutDefinition Definition, RolloutState State);

/// <summary>
/// How a read of a rollout row protects the decision taken on it. Share: no one may change the row until the
/// unit of work ends, but other readers may decide in parallel (assignment at check-in). Update: exclusive,
/// for every write of the state. On SQLite the unit of work's BEGIN IMMEDIATE already holds the database write
/// lock, so both are no-ops there; on PostgreSQL they are FOR SHARE / FOR UPDATE.
/// </summary>
public enum RolloutLock
{
    None,
    Share,
    Update,
}

/// <summary>
/// Rollouts, their rings and maintenance windows. State writes are compare-and-set on
/// <see cref="RolloutState.Version"/>: together with <see cref="RolloutLock.Update"/> this is what keeps two
/// server replicas from applying the same change twice.
/// </summary>
public interface IRolloutRepository
{
    /// <summary>Returns false when a rollout with that id already exists (nothing is changed).</summary>
    Task<bool> InsertAsync(RolloutDefinition definition, RolloutState state, CancellationToken cancellationToken = default);

    Task<StoredRollout?> GetAsync(string id, RolloutLock lockMode = RolloutLock.None, CancellationToken cancellationToken = default);

    /// <summary>Rollouts newest first, optionally only those in <paramref name="statuses"/>.</summary>
    Task<IReadOnlyList<StoredRollout>> ListAsync(IReadOnlyCollection<RolloutStatus>? statuses = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="state"/> (row and rings) only where the stored version is still
    /// <paramref name="expectedVersion"/>; returns false (and writes nothing) when another writer got there first.
    /// </summary>
    Task<bool> UpdateStateAsync(RolloutState state, long expectedVersion, CancellationToken cancellationToken = default);
}
