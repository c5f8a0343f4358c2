using System.Text.Json;
using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Sql;

internal sealed class SqlReleaseCatalog(SqlSession session) : IReleaseCatalog
{
    private const string Columns =
        "id AS Id, version AS Version, security_version AS SecurityVersion, channel AS Channel, target_path AS TargetPath, " +
        "targets_role AS TargetsRole, hardware_ids AS HardwareIds, length AS Length, sha256 AS Sha256, sha512 AS Sha512, " +
        "sbom_sha256 AS SbomSha256, state AS State, created_at AS CreatedAt, created_by AS CreatedBy, " +
        "targets_version AS TargetsVersion, signed_at AS SignedAt";

    /// <summary>Also writes one release_hardware row per model, which the receipts join devices on.</summary>
    public async Task<bool> InsertAsync(Release release, CancellationToken cancellationToken = default)
    {
        var inserted = await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO releases (id, version, security_version, channel, target_path, targets_role, hardware_ids, length, sha256, sha512, " +
            "sbom_sha256, state, created_at, created_by, targets_version, signed_at) VALUES (@Id, @Version, @SecurityVersion, @Channel, " +
            "@TargetPath, @TargetsRole, @HardwareIds, @Length, @Sha256, @Sha512, @SbomSha256, @State, @CreatedAt, @CreatedBy, " +
            "@TargetsVersion, @SignedAt) ON CONFLICT DO NOTHING",
            Row.From(release), cancellationToken)) == 1;
        if (inserted)
        {
            foreach (var hardwareId in release.HardwareIds.Distinct(StringComparer.Ordinal))
            {
                await session.Connection.ExecuteAsync(session.Command(
                    "INSERT INTO release_hardware (release_id, hardware_id) VALUES (@id, @hardwareId)",
                    new { id = release.Id, hardwareId }, cancellationToken));
            }
        }
        return inserted;
    }

    public Task<Release?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        SingleAsync("id = @id", new { id }, cancellationToken);

    public Task<Release?> FindByVersionAsync(string version, ReleaseChannel channel, CancellationToken cancellationToken = default) =>
        SingleAsync("version = @version AND channel = @channel ORDER BY created_at DESC, id LIMIT 1", new { version, channel = channel.ToName() }, cancellationToken);

    public Task<Release?> FindByTargetPathAsync(string targetPath, CancellationToken cancellationToken = default) =>
        SingleAsync("target_path = @targetPath", new { targetPath }, cancellationToken);

    public async Task<IReadOnlyList<Release>> ListAsync(ReleaseChannel? channel = null, ReleaseState? state = null, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM releases WHERE (@channel IS NULL OR channel = @channel) AND (@state IS NULL OR state = @state) " +
            "ORDER BY created_at DESC, id",
            new { channel = channel?.ToName(), state = state?.ToName() }, cancellationToken))).Select(r => r.ToRelease()).ToList();

    public async Task<int> MarkSignedAsync(IReadOnlyCollection<string> ids, long targetsVersion, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var changed = 0;
        foreach (var id in ids)
        {
            changed += await session.Connection.ExecuteAsync(session.Command(
                "UPDATE releases SET state = 'signed', targets_version = @targetsVersion, signed_at = @at WHERE id = @id AND state = 'pending'",
                new { id, targetsVersion, at = UnixTime.ToMs(at) }, cancellationToken));
        }
        return changed;
    }

    public Task RecordSignatureAsync(ReleaseSignature signature, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO release_signatures (release_id, key_id, role, signed_at) VALUES (@ReleaseId, @KeyId, @Role, @SignedAt) ON CONFLICT DO NOTHING",
            new { signature.ReleaseId, signature.KeyId, signature.Role, SignedAt = UnixTime.ToMs(signature.SignedAt) }, cancellationToken));

    public async Task<IReadOnlyList<ReleaseSignature>> ListSignaturesByKeyAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<SignatureRow>(session.Command(
            "SELECT release_id AS ReleaseId, key_id AS KeyId, role AS Role, signed_at AS SignedAt FROM release_signatures " +
            "WHERE key_id = @keyId AND signed_at >= @since ORDER BY signed_at, release_id",
            new { keyId, since = UnixTime.ToMs(since) }, cancellationToken))).Select(r => r.ToSignature()).ToList();

    public async Task<IReadOnlyList<ReleaseSignature>> ListSignaturesAsync(string releaseId, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<SignatureRow>(session.Command(
            "SELECT release_id AS ReleaseId, key_id AS KeyId, role AS Role, signed_at AS SignedAt FROM release_signatures " +
            "WHERE release_id = @releaseId ORDER BY signed_at, key_id",
            new { releaseId }, cancellationToken))).Select(r => r.ToSignature()).ToList();

    private async Task<Release?> SingleAsync(string where, object parameters, CancellationToken cancellationToken) =>
        (await session.Connection.QueryFirstOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns} FROM releases WHERE {where}", parameters, cancellationToken)))?.ToRelease();

    private sealed class SignatureRow
    {
        public string ReleaseId { get; set; } = "";
        public string KeyId { get; set; } = "";
        public string Role { get; set; } = "";
        public long SignedAt { get; set; }

        public ReleaseSignature ToSignature() => new(ReleaseId, KeyId, Role, UnixTime.FromMs(SignedAt));
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Version { get; set; } = "";
        public long SecurityVersion { get; set; }
        public string Channel { get; set; } = "";
        public string TargetPath { get; set; } = "";
        public string TargetsRole { get; set; } = "";
        public string HardwareIds { get; set; } = "[]";
        public long Length { get; set; }
        public string Sha256 { get; set; } = "";
        public string Sha512 { get; set; } = "";
        public string? SbomSha256 { get; set; }
        public string State { get; set; } = "";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public long? TargetsVersion { get; set; }
        public long? SignedAt { get; set; }

        public static Row From(Release r) => new()
        {
            Id = r.Id,
            Version = r.Version,
            SecurityVersion = r.SecurityVersion,
            Channel = r.Channel.ToName(),
            TargetPath = r.TargetPath,
            TargetsRole = r.TargetsRole,
            HardwareIds = JsonSerializer.Serialize(r.HardwareIds),
            Length = r.Length,
            Sha256 = r.Sha256,
            Sha512 = r.Sha512,
            SbomSha256 = r.SbomSha256,
            State = r.State.ToName(),
            CreatedAt = UnixTime.ToMs(r.CreatedAt),
            CreatedBy = r.CreatedBy,
            TargetsVersion = r.TargetsVersion,
            SignedAt = UnixTime.ToMs(r.SignedAt),
        };

        public Release ToRelease() => new(
            Id,
            Version,
            SecurityVersion,
            ReleaseChannelNames.TryParse(Channel, out var channel) ? channel : throw new InvalidDataException($"releases row '{Id}' has unknown channel '{Channel}'."),
            TargetPath,
            TargetsRole,
            JsonSerializer.Deserialize<List<string>>(HardwareIds) ?? [],
            Length,
            Sha256,
            Sha512,
            SbomSha256,
            ReleaseNames.TryParseState(State, out var state) ? state : throw new InvalidDataException($"releases row '{Id}' has unknown state '{State}'."),
            UnixTime.FromMs(CreatedAt),
            CreatedBy,
            TargetsVersion,
            UnixTime.FromMs(SignedAt));
    }
}
