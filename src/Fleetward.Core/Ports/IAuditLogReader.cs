using Fleetward.Core.Audit;
using Fleetward.Trust.Merkle;

namespace Fleetward.Core.Ports;

/// <summary>One stored audit entry: its index in the log and the event as the database holds it now (which tampering may have changed).</summary>
public sealed record StoredAuditEntry(long Index, AuditEvent Event);

/// <summary>
/// The read side of the Merkle audit log: what the audit API serves and proofs are built from. The tree size is the
/// number of committed appends; the node source holds every perfect-subtree hash (RFC 9162 2.1.1) for sizes up to it.
/// </summary>
public interface IAuditLogReader
{
    /// <summary>Number of entries committed to the log.</summary>
    Task<long> SizeAsync(CancellationToken cancellationToken = default);

    /// <summary>The stored entries with index in [<paramref name="start"/>, <paramref name="end"/>), in index order; absent rows are skipped.</summary>
    Task<IReadOnlyList<StoredAuditEntry>> EntriesAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>The stored Merkle nodes (level 0 = leaf hashes as appended), for roots and proofs.</summary>
    IMerkleNodeSource Nodes { get; }
}
