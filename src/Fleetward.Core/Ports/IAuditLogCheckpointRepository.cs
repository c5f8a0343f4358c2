namespace Fleetward.Core.Ports;

/// <summary>A signed tree head as the log keeps it: size, root, the C2SP signed-note text and when it was made.</summary>
public sealed record StoredAuditCheckpoint(long TreeSize, byte[] RootHash, string Note, DateTimeOffset CreatedAt);

/// <summary>The log's signed checkpoints, at most one per tree size (a size has only one root).</summary>
public interface IAuditLogCheckpointRepository
{
    /// <summary>The checkpoint of the largest tree size, or null before the first one.</summary>
    Task<StoredAuditCheckpoint?> LatestAsync(CancellationToken cancellationToken = default);

    Task<StoredAuditCheckpoint?> GetAsync(long treeSize, CancellationToken cancellationToken = default);

    /// <summary>Stores a checkpoint; false (nothing changed) when one of the same tree size exists already.</summary>
    Task<bool> InsertAsync(StoredAuditCheckpoint checkpoint, CancellationToken cancellationToken = default);
}
