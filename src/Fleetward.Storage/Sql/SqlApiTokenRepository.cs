using Dapper;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlApiTokenRepository(SqlSession session) : IApiTokenRepository
{
    private const string Columns = "id AS Id, name AS Name, role AS Role, secret_hash AS SecretHash, created_at AS CreatedAt, expires_at AS ExpiresAt, revoked_at AS RevokedAt, last_used_at AS LastUsedAt";

    public Task InsertAsync(ApiToken token, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO api_tokens (id, name, role, secret_hash, created_at, expires_at, revoked_at, last_used_at) " +
            "VALUES (@Id, @Name, @Role, @SecretHash, @CreatedAt, @ExpiresAt, @RevokedAt, @LastUsedAt)",
            TokenRow.From(token), cancellationToken));

    public async Task<ApiToken?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<TokenRow>(session.Command(
            $"SELECT {Columns} FROM api_tokens WHERE secret_hash = @secretHash", new { secretHash }, cancellationToken)))?.ToToken();

    public async Task<ApiToken?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<TokenRow>(session.Command(
            $"SELECT {Columns} FROM api_tokens WHERE id = @id", new { id }, cancellationToken)))?.ToToken();

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<TokenRow>(session.Command(
            $"SELECT {Columns} FROM api_tokens ORDER BY created_at, id", null, cancellationToken))).Select(r => r.ToToken()).ToList();

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id",
            new { id, at = UnixTime.ToMs(at) }, cancellationToken)) == 1;

    public Task TouchLastUsedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "UPDATE api_tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)",
            new { id, at = UnixTime.ToMs(at) }, cancellationToken));

    private sealed class TokenRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public byte[] SecretHash { get; set; } = [];
        public long CreatedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public static TokenRow From(ApiToken t) => new()
        {
            Id = t.Id,
            Name = t.Name,
            Role = OperatorRoleNames.ToName(t.Role),
            SecretHash = t.SecretHash,
            CreatedAt = UnixTime.ToMs(t.CreatedAt),
            ExpiresAt = UnixTime.ToMs(t.ExpiresAt),
            RevokedAt = UnixTime.ToMs(t.RevokedAt),
            LastUsedAt = UnixTime.ToMs(t.LastUsedAt),
        };

        public ApiToken ToToken() => new(
            Id,
            Name,
            OperatorRoleNames.TryParse(Role, out var role) ? role : throw new InvalidDataException($"api_tokens row '{Id}' has unknown role '{Role}'."),
            SecretHash,
            UnixTime.FromMs(CreatedAt),
            UnixTime.FromMs(ExpiresAt),
            UnixTime.FromMs(RevokedAt),
            UnixTime.FromMs(LastUsedAt));
    }
}
