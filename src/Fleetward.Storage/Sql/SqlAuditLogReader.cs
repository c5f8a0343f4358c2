using Dapper;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Trust.Merkle;

namespace Fleetward.Storage.Sql;

/// <summary>Reads audit entries, the committed tree size and the stored Merkle nodes for the audit API.</summary>
internal sealed class SqlAuditLogReader(SqlSession session) : IAuditLogReader
{
    public IMerkleNodeSource Nodes { get; } = new SqlAuditNodeStore(session);

    public Task<long> SizeAsync(CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command("SELECT size FROM audit_head WHERE id = 1", null, cancellationToken));

    public async Task<IReadOnlyList<StoredAuditEntry>> EntriesAsync(long start, long end, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        var rows = await session.Connection.QueryAsync<EntryRow>(session.Command(
            "SELECT idx AS Idx, type AS Type, time AS Time, actor AS Actor, subject AS Subject, payload AS Payload " +
            "FROM audit_entries WHERE idx >= @start AND idx < @end ORDER BY idx",
            new { start, end }, cancellationToken));
        return rows.Select(r => new StoredAuditEntry(r.Idx, new AuditEvent(r.Type, UnixTime.FromMs(r.Time), r.Actor, r.Subject, r.Payload))).ToList();
    }

    private sealed class EntryRow
    {
        public long Idx { get; set; }
        public string Type { get; set; } = "";
        public long Time { get; set; }
        public string Actor { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Payload { get; set; } = "";
    }
}
