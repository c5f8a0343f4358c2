using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Trust.Merkle;

namespace Fleetward.Storage.Sql;

/// <summary>Signed checkpoints in <c>audit_checkpoints</c>, one per tree size.</summary>
internal sealed class SqlAuditCheckpointRepository(SqlSession session) : IAuditLogCheckpointRepository
{
    private const string Columns = "tree_size AS TreeSize, root_hash AS RootHash, note AS Note, created_at AS CreatedAt";

    public async Task<StoredAuditCheckpoint?> LatestAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<CheckpointRow>(session.Command(
            $"SELECT {Columns} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1", null, cancellationToken)))?.ToCheckpoint();

    public async Task<StoredAuditCheckpoint?> GetAsync(long treeSize, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<CheckpointRow>(session.Command(
            $"SELECT {Columns} FROM audit_checkpoints WHERE tree_size = @treeSize", new { treeSize }, cancellationToken)))?.ToCheckpoint();

    public async Task<bool> InsertAsync(StoredAuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.RootHash is not { Length: MerkleHasher.HashSize })
        {
            throw new ArgumentException($"A checkpoint root is a {MerkleHasher.HashSize}-byte hash.", nameof(checkpoint));
        }
        return await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO audit_checkpoints (tree_size, root_hash, note, created_at) VALUES (@TreeSize, @RootHash, @Note, @CreatedAt) ON CONFLICT (tree_size) DO NOTHING",
            new { checkpoint.TreeSize, checkpoint.RootHash, checkpoint.Note, CreatedAt = UnixTime.ToMs(checkpoint.CreatedAt) }, cancellationToken)) == 1;
    }

    private sealed class CheckpointRow
    {
        public long TreeSize { get; set; }
        public byte[] RootHash { get; set; } = [];
        public string Note { get; set; } = "";
        public long CreatedAt { get; set; }

        public StoredAuditCheckpoint ToCheckpoint() => new(TreeSize, RootHash, Note, UnixTime.FromMs(CreatedAt));
    }
}
