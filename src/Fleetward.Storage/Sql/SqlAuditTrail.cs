using Dapper;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

/// <summary>
/// Appends audit events gap-free: the single <c>audit_head</c> row is updated first, which takes its row lock
/// (PostgreSQL) or rides the write lock (SQLite), so concurrent transactions get consecutive indexes in commit order
/// and a rolled-back append frees its index again.
/// </summary>
internal sealed class SqlAuditTrail(SqlSession session) : IAuditTrail
{
    public async Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        var index = await session.Connection.ExecuteScalarAsync<long>(session.Command(
            "UPDATE audit_head SET size = size + 1 WHERE id = 1 RETURNING size - 1", null, cancellationToken));
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO audit_entries (idx, type, time, actor, subject, payload) VALUES (@index, @Type, @Time, @Actor, @Subject, @PayloadJson)",
            new { index, auditEvent.Type, Time = UnixTime.ToMs(auditEvent.Time), auditEvent.Actor, auditEvent.Subject, auditEvent.PayloadJson },
            cancellationToken));
        return index;
    }
}
