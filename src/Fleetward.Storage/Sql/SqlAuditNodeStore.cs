using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Fleetward.Trust.Merkle;

namespace Fleetward.Storage.Sql;

/// <summary>
/// The Merkle log's perfect-subtree hashes in <c>audit_nodes</c>, keyed by (level, idx) on both engines. A proof or
/// a frontier load is one query for its O(log n) nodes; writes are write-once (RFC 9162 trees are append-only), so a
/// second write of a node must carry the same hash or it is refused as tampering.
/// </summary>
internal sealed class SqlAuditNodeStore(SqlSession session) : IMerkleNodeStore
{
    public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }
        var found = await ReadAsync(ids, cancellationToken);
        var result = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
        {
            result[i] = found.TryGetValue(ids[i], out var hash) ? hash : throw new MerkleNodeNotFoundException(ids[i]);
        }
        return result;
    }

    public async ValueTask PutNodesAsync(IReadOnlyList<MerkleNode> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            return;
        }
        var parameters = new DynamicParameters();
        var inserted = await session.Connection.ExecuteAsync(session.Command(InsertSql(nodes, parameters), parameters, cancellationToken));
        await RequireWrittenAsync(nodes, inserted, cancellationToken);
    }

    /// <summary>
    /// The statement inserting <paramref name="nodes"/> (hashes bound into <paramref name="parameters"/>), skipping
    /// existing ones so that <see cref="RequireWrittenAsync"/> can tell a harmless rewrite from a conflicting one.
    /// </summary>
    private static string InsertSql(IReadOnlyList<MerkleNode> nodes, DynamicParameters parameters)
    {
        var sql = new StringBuilder("INSERT INTO audit_nodes (level, idx, hash) VALUES ");
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node.Hash is not { Length: MerkleHasher.HashSize })
            {
                throw new ArgumentException($"Node {node.Id} must carry a {MerkleHasher.HashSize}-byte hash.", nameof(nodes));
            }
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"({node.Id.Level}, {node.Id.Index}, @h{i})");
            parameters.Add("h" + i.ToString(CultureInfo.InvariantCulture), node.Hash);
        }
        return sql.Append(" ON CONFLICT (level, idx) DO NOTHING").ToString();
    }

    /// <summary>When fewer than all nodes were inserted, the existing ones must hold exactly the hashes being written.</summary>
    private async Task RequireWrittenAsync(IReadOnlyList<MerkleNode> nodes, int inserted, CancellationToken cancellationToken)
    {
        if (inserted == nodes.Count)
        {
            return;
        }
        var stored = await ReadAsync(nodes.Select(n => n.Id).ToList(), cancellationToken);
        foreach (var node in nodes)
        {
            if (!stored.TryGetValue(node.Id, out var hash) || !CryptographicOperations.FixedTimeEquals(hash, node.Hash))
            {
                throw new InvalidOperationException($"Merkle node {node.Id} is already stored with a different hash; stored nodes are write-once.");
            }
        }
    }

    private async Task<Dictionary<MerkleNodeId, byte[]>> ReadAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken)
    {
        // Ids are integers, so they are written into the statement: one indexed lookup per (level, idx) pair.
        var sql = new StringBuilder("SELECT level, idx, hash FROM audit_nodes WHERE ");
        for (var i = 0; i < ids.Count; i++)
        {
            sql.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"(level = {ids[i].Level} AND idx = {ids[i].Index})");
        }
        var found = new Dictionary<MerkleNodeId, byte[]>(ids.Count);
        await using var reader = await session.Connection.ExecuteReaderAsync(session.Command(sql.ToString(), null, cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            found[new MerkleNodeId(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture))] = (byte[])reader.GetValue(2);
        }
        return found;
    }
}
