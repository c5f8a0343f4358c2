namespace Fleetward.Core.Ports;

/// <summary>One signed TUF metadata file as the repository published it (role, version, the exact bytes clients fetch).</summary>
public sealed record StoredTufMetadata(string Role, long Version, byte[] Content, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>
/// The TUF repository's metadata, one row per role and version. Rows are never changed: consistent snapshots let
/// clients in the middle of an update keep fetching older versions, and versioned <c>N.root.json</c> files must stay.
/// </summary>
public interface ITufMetadataStore
{
    /// <summary>Stores a version of a role; returns false (nothing changed) when that role and version already exist.</summary>
    Task<bool> InsertAsync(StoredTufMetadata metadata, CancellationToken cancellationToken = default);

    Task<StoredTufMetadata?> GetAsync(string role, long version, CancellationToken cancellationToken = default);

    /// <summary>The highest version of a role, or null when the role was never published.</summary>
    Task<StoredTufMetadata?> GetLatestAsync(string role, CancellationToken cancellationToken = default);

    /// <summary>Every version of a role in version order (the root history a restart replays).</summary>
    Task<IReadOnlyList<StoredTufMetadata>> ListVersionsAsync(string role, CancellationToken cancellationToken = default);

    /// <summary>The names of every role with at least one stored version.</summary>
    Task<IReadOnlyList<string>> ListRolesAsync(CancellationToken cancellationToken = default);
}
