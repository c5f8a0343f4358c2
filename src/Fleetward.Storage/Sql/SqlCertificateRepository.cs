using Dapper;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlCertificateRepository(SqlSession session) : ICertificateRepository
{
    private const string Columns =
        "serial AS SerialNumberHex, device_id AS DeviceId, not_before AS NotBefore, not_after AS NotAfter, issued_at AS IssuedAt, " +
        "revoked_at AS RevokedAt, revocation_reason AS RevocationReason, der AS Der";

    public async Task InsertAsync(StoredDeviceCertificate certificate, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_certificates (serial, device_id, not_before, not_after, issued_at, revoked_at, revocation_reason, der, public_key_sha256) " +
            "VALUES (@SerialNumberHex, @DeviceId, @NotBefore, @NotAfter, @IssuedAt, @RevokedAt, @RevocationReason, @Der, @PublicKeySha256)",
            new
            {
                certificate.SerialNumberHex,
                certificate.DeviceId,
                NotBefore = UnixTime.ToMs(certificate.NotBefore),
                NotAfter = UnixTime.ToMs(certificate.NotAfter),
                IssuedAt = UnixTime.ToMs(certificate.IssuedAt),
                RevokedAt = UnixTime.ToMs(certificate.RevokedAt),
                certificate.RevocationReason,
                certificate.Der,
                PublicKeySha256 = PublicKeyFingerprint.Of(certificate.Der),
            },
            cancellationToken));

    public async Task<StoredDeviceCertificate?> GetAsync(string serialNumberHex, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns} FROM device_certificates WHERE serial = @serialNumberHex", new { serialNumberHex }, cancellationToken))
        .SingleOrDefault();

    public Task<IReadOnlyList<StoredDeviceCertificate>> ListForDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM device_certificates WHERE device_id = @deviceId ORDER BY issued_at DESC, serial", new { deviceId }, cancellationToken);

    public Task<IReadOnlyList<StoredDeviceCertificate>> ListRevokedAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM device_certificates WHERE revoked_at IS NOT NULL AND not_after > @now ORDER BY serial",
            new { now = UnixTime.ToMs(now) }, cancellationToken);

    public async Task<IReadOnlyList<StoredDeviceCertificate>> RevokeAllForDeviceAsync(string deviceId, DateTimeOffset at, string reason, CancellationToken cancellationToken = default) =>
        await QueryAsync(
            $"UPDATE device_certificates SET revoked_at = @at, revocation_reason = @reason WHERE device_id = @deviceId AND revoked_at IS NULL RETURNING {Columns}",
            new { deviceId, at = UnixTime.ToMs(at), reason }, cancellationToken);

    public Task<long> NextCrlNumberAsync(CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command(
            "UPDATE crl_counter SET number = number + 1 WHERE id = 1 RETURNING number", null, cancellationToken));

    private async Task<IReadOnlyList<StoredDeviceCertificate>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        [.. (await session.Connection.QueryAsync<Row>(session.Command(sql, parameters, cancellationToken))).Select(row => row.ToRecord())];

    private sealed class Row
    {
        public string SerialNumberHex { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public long NotBefore { get; set; }
        public long NotAfter { get; set; }
        public long IssuedAt { get; set; }
        public long? RevokedAt { get; set; }
        public string? RevocationReason { get; set; }
        public byte[] Der { get; set; } = [];

        public StoredDeviceCertificate ToRecord() => new(SerialNumberHex, DeviceId, UnixTime.FromMs(NotBefore), UnixTime.FromMs(NotAfter),
            UnixTime.FromMs(IssuedAt), UnixTime.FromMs(RevokedAt), RevocationReason, Der);
    }
}
