using Dapper;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlEnrollmentRepository(SqlSession session) : IEnrollmentRepository
{
    private const string GroupColumns =
        "name AS Name, model AS Model, tags AS Tags, cert_lifetime_seconds AS CertLifetimeSeconds, approval AS Approval, created_at AS CreatedAt";

    private const string TokenColumns =
        "id AS Id, group_name AS GroupName, device_id AS DeviceId, secret_hash AS SecretHash, created_at AS CreatedAt, expires_at AS ExpiresAt, consumed_at AS ConsumedAt";

    public async Task<bool> InsertGroupAsync(EnrollmentGroup group, CancellationToken cancellationToken = default)
    {
        var inserted = await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO enrollment_groups (name, model, tags, cert_lifetime_seconds, approval, created_at) " +
            "VALUES (@Name, @Model, @Tags, @Lifetime, @Approval, @CreatedAt) ON CONFLICT (name) DO NOTHING",
            new
            {
                group.Name,
                group.Model,
                Tags = string.Join('\n', group.Tags),
                Lifetime = (long)group.CertificateLifetime.TotalSeconds,
                Approval = group.Approval == EnrollmentApproval.Manual ? "manual" : "auto",
                CreatedAt = UnixTime.ToMs(group.CreatedAt),
            },
            cancellationToken));
        if (inserted == 0)
        {
            return false;
        }

        for (var i = 0; i < group.FactoryCaCertificates.Count; i++)
        {
            await session.Connection.ExecuteAsync(session.Command(
                "INSERT INTO enrollment_group_factory_cas (group_name, position, der) VALUES (@name, @position, @der)",
                new { name = group.Name, position = i, der = group.FactoryCaCertificates[i] }, cancellationToken));
        }

        return true;
    }

    public async Task<EnrollmentGroup?> GetGroupAsync(string name, CancellationToken cancellationToken = default) =>
        (await QueryGroupsAsync("WHERE name = @name", new { name }, cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<EnrollmentGroup>> ListGroupsAsync(CancellationToken cancellationToken = default) =>
        QueryGroupsAsync("", null, cancellationToken);

    public async Task InsertTokenAsync(EnrollmentToken token, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO enrollment_tokens (id, group_name, device_id, secret_hash, created_at, expires_at, consumed_at) " +
            "VALUES (@Id, @GroupName, @DeviceId, @SecretHash, @CreatedAt, @ExpiresAt, @ConsumedAt)",
            new
            {
                token.Id,
                token.GroupName,
                token.DeviceId,
                token.SecretHash,
                CreatedAt = UnixTime.ToMs(token.CreatedAt),
                ExpiresAt = UnixTime.ToMs(token.ExpiresAt),
                ConsumedAt = UnixTime.ToMs(token.ConsumedAt),
            },
            cancellationToken));

    public async Task<EnrollmentToken?> FindTokenBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        var row = await session.Connection.QuerySingleOrDefaultAsync<TokenRow>(session.Command(
            $"SELECT {TokenColumns} FROM enrollment_tokens WHERE secret_hash = @secretHash", new { secretHash }, cancellationToken));
        return row is null
            ? null
            : new EnrollmentToken(row.Id, row.GroupName, row.DeviceId, row.SecretHash, UnixTime.FromMs(row.CreatedAt), UnixTime.FromMs(row.ExpiresAt), UnixTime.FromMs(row.ConsumedAt));
    }

    // One conditional UPDATE: the row lock (PostgreSQL) or the write lock (SQLite) lets exactly one transaction see consumed_at IS NULL.
    public async Task<bool> ConsumeTokenAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "UPDATE enrollment_tokens SET consumed_at = @at WHERE id = @id AND consumed_at IS NULL AND expires_at > @at",
            new { id, at = UnixTime.ToMs(at) }, cancellationToken)) == 1;

    public async Task SetDeviceGroupAsync(string deviceId, string groupName, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_enrollments (device_id, group_name) VALUES (@deviceId, @groupName) ON CONFLICT (device_id) DO NOTHING",
            new { deviceId, groupName }, cancellationToken));

    public Task<string?> GetDeviceGroupAsync(string deviceId, CancellationToken cancellationToken = default) =>
        session.Connection.QuerySingleOrDefaultAsync<string?>(session.Command(
            "SELECT group_name FROM device_enrollments WHERE device_id = @deviceId", new { deviceId }, cancellationToken));

    private async Task<IReadOnlyList<EnrollmentGroup>> QueryGroupsAsync(string where, object? parameters, CancellationToken cancellationToken)
    {
        var rows = (await session.Connection.QueryAsync<GroupRow>(session.Command(
            $"SELECT {GroupColumns} FROM enrollment_groups {where} ORDER BY name", parameters, cancellationToken))).ToList();
        var groups = new List<EnrollmentGroup>(rows.Count);
        foreach (var row in rows)
        {
            var cas = (await session.Connection.QueryAsync<byte[]>(session.Command(
                "SELECT der FROM enrollment_group_factory_cas WHERE group_name = @Name ORDER BY position", new { row.Name }, cancellationToken))).ToList();
            groups.Add(new EnrollmentGroup(
                row.Name,
                cas,
                row.Model,
                row.Tags.Length == 0 ? [] : row.Tags.Split('\n'),
                TimeSpan.FromSeconds(row.CertLifetimeSeconds),
                row.Approval == "manual" ? EnrollmentApproval.Manual : EnrollmentApproval.Automatic,
                UnixTime.FromMs(row.CreatedAt)));
        }

        return groups;
    }

    private sealed class GroupRow
    {
        public string Name { get; set; } = "";
        public string Model { get; set; } = "";
        public string Tags { get; set; } = "";
        public long CertLifetimeSeconds { get; set; }
        public string Approval { get; set; } = "";
        public long CreatedAt { get; set; }
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = "";
        public string GroupName { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public byte[] SecretHash { get; set; } = [];
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? ConsumedAt { get; set; }
    }
}
