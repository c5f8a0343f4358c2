using Dapper;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlTufMetadataStore(SqlSession session) : ITufMetadataStore
{
    private const string Columns = "role AS Role, version AS Version, content AS Content, expires_at AS ExpiresAt, created_at AS CreatedAt";

    public async Task<bool> InsertAsync(StoredTufMetadata metadata, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO tuf_metadata (role, version, content, expires_at, created_at) VALUES (@Role, @Version, @Content, @ExpiresAt, @CreatedAt) " +
            "ON CONFLICT (role, version) DO NOTHING",
            new { metadata.Role, metadata.Version, metadata.Content, ExpiresAt = UnixTime.ToMs(metadata.ExpiresAt), CreatedAt = UnixTime.ToMs(metadata.CreatedAt) },
            cancellationToken)) == 1;

    public async Task<StoredTufMetadata?> GetAsync(string role, long version, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns} FROM tuf_metadata WHERE role = @role AND version = @version", new { role, version }, cancellationToken)))?.ToMetadata();

    public async Task<StoredTufMetadata?> GetLatestAsync(string role, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns} FROM tuf_metadata WHERE role = @role ORDER BY version DESC LIMIT 1", new { role }, cancellationToken)))?.ToMetadata();

    public async Task<IReadOnlyList<StoredTufMetadata>> ListVersionsAsync(string role, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM tuf_metadata WHERE role = @role ORDER BY version", new { role }, cancellationToken))).Select(r => r.ToMetadata()).ToList();

    public async Task<IReadOnlyList<string>> ListRolesAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<string>(session.Command(
            "SELECT DISTINCT role FROM tuf_metadata ORDER BY role", null, cancellationToken))).ToList();

    private sealed class Row
    {
        public string Role { get; set; } = "";
        public long Version { get; set; }
        public byte[] Content { get; set; } = [];
        public long ExpiresAt { get; set; }
        public long CreatedAt { get; set; }

        public StoredTufMetadata ToMetadata() => new(Role, Version, Content, UnixTime.FromMs(ExpiresAt), UnixTime.FromMs(CreatedAt));
    }
}
