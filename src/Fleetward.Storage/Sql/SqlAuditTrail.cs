using Dapper;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Trust.Merkle;

namespace Fleetward.Storage.Sql;

/// <summary>
/// Appends audit events to the RFC 6962 Merkle log inside the caller's transaction, so an event, its leaf hash and
/// the tree nodes it completes commit or vanish together with the state change they record. The single
/// <c>audit_head</c> row is updated first, which takes its row lock (PostgreSQL) or rides the write lock (SQLite):
/// appends get consecutive indexes in commit order, a rolled-back append frees its index again, and while the lock is
/// held no one else can change the tree, so the frontier loaded for the first append serves the rest of the transaction.
/// </summary>
internal sealed class SqlAuditTrail(SqlSession session) : IAuditTrail
{
    private readonly SqlAuditNodeStore _nodes = new(session);
    private CompactMerkleTree? _tree;

    public async Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        // Encode before touching the database: a malformed event is refused with the field named, and nothing is written.
        var leaf = AuditLeafCodec.Encode(auditEvent);
        var canonical = AuditLeafCodec.Decode(leaf);
        var tree = _tree;
        _tree = null;
        var index = await session.Connection.ExecuteScalarAsync<long>(session.Command(
            "UPDATE audit_head SET size = size + 1 WHERE id = 1 RETURNING size - 1", null, cancellationToken));
        if (tree is null || tree.Size != index)
        {
            // RFC 9162 2.1.1: the right border of the tree of `index` leaves is enough to append leaf `index`.
            tree = await CompactMerkleTree.LoadAsync(_nodes, index, cancellationToken);
        }
        var created = tree.Append(MerkleHasher.HashLeaf(leaf));
        // The row holds the canonical event, so re-encoding it gives exactly the leaf that was hashed. Entry and nodes
        // are two commands: one multi-statement command measured five times slower per append on SQLite.
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO audit_entries (idx, type, time, actor, subject, payload) VALUES (@index, @Type, @Time, @Actor, @Subject, @PayloadJson)",
            new { index, canonical.Type, Time = UnixTime.ToMs(canonical.Time), canonical.Actor, canonical.Subject, canonical.PayloadJson },
            cancellationToken));
        await _nodes.PutNodesAsync(created, cancellationToken);
        _tree = tree;
        return index;
    }
}
