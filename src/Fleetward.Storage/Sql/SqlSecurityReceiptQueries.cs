using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dapper;
using Fleetward.Core.Identity;
using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Sql;

/// <summary>
/// The receipts' aggregates in SQL that both engines run unchanged: each figure is a COUNT or SUM over an indexed
/// range, and a median is one ORDER BY with OFFSET that returns at most two rows, so nothing scales with the fleet in
/// memory. "In service" is state active or quarantined.
/// </summary>
internal sealed class SqlSecurityReceiptQueries(SqlSession session) : ISecurityReceiptQueries
{
    private const string InService = "d.state IN ('active', 'quarantined')";

    /// <summary>Valid at @now: unrevoked and inside its validity period.</summary>
    private const string ValidCertificate = "c.revoked_at IS NULL AND c.not_before <= @now AND c.not_after > @now";

    public async Task<ReceiptFacts> GatherAsync(ReceiptQuery query, CancellationToken cancellationToken = default)
    {
        var now = UnixTime.ToMs(query.Now);
        var start = UnixTime.ToMs(query.WindowStart);
        var window = new { now, start };
        var audit = new SqlAuditLogReader(session);
        var checkpoints = new SqlAuditCheckpointRepository(session);
        return new ReceiptFacts(
            await FleetAsync(cancellationToken),
            await CredentialsAsync(now, query.RenewalDeadlineFraction, cancellationToken),
            await ConnectionsAsync(window, cancellationToken),
            await ReleasesAsync(cancellationToken),
            await OtaAsync(window, cancellationToken),
            await PatchMedianAsync(now, start, securityOnly: false, cancellationToken),
            await PatchMedianAsync(now, start, securityOnly: true, cancellationToken),
            await IncidentsAsync(window, cancellationToken),
            await ScalarAsync(
                "SELECT COUNT(*) FROM audit_entries WHERE type = @type AND time >= @start AND time <= @now AND payload LIKE @pattern",
                new { now, start, type = DeviceStateChangedRecord.EventType, pattern = "%\"to\":\"quarantined\"%" }, cancellationToken),
            new AuditFacts(await audit.SizeAsync(cancellationToken), await checkpoints.LatestAsync(cancellationToken)));
    }

    public async Task AddConnectionTallyAsync(ConnectionTally tally, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tally);
        if (tally.Authenticated < 0 || tally.Refused < 0 || tally.Anonymous < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tally), "connection counts cannot be negative");
        }
        if (tally.HourStart != ConnectionTally.HourOf(tally.HourStart))
        {
            throw new ArgumentException($"HourStart {tally.HourStart:O} is not the start of an hour.", nameof(tally));
        }
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_connection_tallies (hour_start, authenticated, refused, anonymous) VALUES (@hour, @Authenticated, @Refused, @Anonymous) " +
            "ON CONFLICT (hour_start) DO UPDATE SET authenticated = device_connection_tallies.authenticated + excluded.authenticated, " +
            "refused = device_connection_tallies.refused + excluded.refused, anonymous = device_connection_tallies.anonymous + excluded.anonymous",
            new { hour = UnixTime.ToMs(tally.HourStart), tally.Authenticated, tally.Refused, tally.Anonymous }, cancellationToken));
    }

    private async Task<FleetFacts> FleetAsync(CancellationToken cancellationToken)
    {
        var row = await SingleAsync<FleetRow>(
            "SELECT CAST(COALESCE(SUM(CASE WHEN d.state = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) AS Active, " +
            "CAST(COALESCE(SUM(CASE WHEN d.state = 'quarantined' THEN 1 ELSE 0 END), 0) AS BIGINT) AS Quarantined " +
            $"FROM devices d WHERE {InService}", null, cancellationToken);
        return new FleetFacts(row.Active, row.Quarantined);
    }

    /// <summary>
    /// One pass over the valid certificates of in-service devices: per certificate whether its key fingerprint is
    /// unknown, whether another device's certificate carries the same key, and whether it is before its renewal
    /// deadline (not_before + lifetime × fraction, the lifetime being the enrollment group's configured one when it is
    /// shorter than the certificate's); then per device, then over the fleet.
    /// </summary>
    private async Task<CredentialFacts> CredentialsAsync(long now, double fraction, CancellationToken cancellationToken)
    {
        var row = await SingleAsync<CredentialRow>(
            "SELECT COUNT(*) AS WithValid, " +
            "CAST(COALESCE(SUM(CASE WHEN shared > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS Sharing, " +
            "CAST(COALESCE(SUM(CASE WHEN unknown > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS Unknown, " +
            "CAST(COALESCE(SUM(CASE WHEN shared = 0 AND unknown = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS UniqueKey, " +
            "CAST(COALESCE(SUM(CASE WHEN fresh > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS WithinSlo " +
            "FROM (SELECT device_id, MAX(unknown) AS unknown, MAX(shared) AS shared, MAX(fresh) AS fresh FROM (" +
            "  SELECT c.device_id AS device_id," +
            "    CASE WHEN c.public_key_sha256 IS NULL THEN 1 ELSE 0 END AS unknown," +
            "    CASE WHEN c.public_key_sha256 IS NOT NULL AND EXISTS (SELECT 1 FROM device_certificates o " +
            "      WHERE o.public_key_sha256 = c.public_key_sha256 AND o.device_id <> c.device_id) THEN 1 ELSE 0 END AS shared," +
            "    CASE WHEN (@now - c.not_before) < @fraction * (CASE WHEN g.cert_lifetime_seconds IS NOT NULL " +
            "      AND g.cert_lifetime_seconds * 1000 < c.not_after - c.not_before THEN g.cert_lifetime_seconds * 1000 " +
            "      ELSE c.not_after - c.not_before END) THEN 1 ELSE 0 END AS fresh" +
            "  FROM device_certificates c JOIN devices d ON d.id = c.device_id" +
            "  LEFT JOIN device_enrollments e ON e.device_id = c.device_id" +
            "  LEFT JOIN enrollment_groups g ON g.name = e.group_name" +
            $"  WHERE {InService} AND {ValidCertificate}" +
            ") per_certificate GROUP BY device_id) per_device",
            new { now, fraction }, cancellationToken);
        return new CredentialFacts(row.WithValid, row.UniqueKey, row.Sharing, row.Unknown, row.WithinSlo);
    }

    private async Task<ConnectionFacts> ConnectionsAsync(object window, CancellationToken cancellationToken)
    {
        var row = await SingleAsync<ConnectionRow>(
            "SELECT CAST(COALESCE(SUM(authenticated), 0) AS BIGINT) AS Authenticated, CAST(COALESCE(SUM(refused), 0) AS BIGINT) AS Refused, " +
            "CAST(COALESCE(SUM(anonymous), 0) AS BIGINT) AS Anonymous FROM device_connection_tallies WHERE hour_start >= @start AND hour_start <= @now",
            window, cancellationToken);
        return new ConnectionFacts(row.Authenticated, row.Refused, row.Anonymous);
    }

    /// <summary>
    /// Per hardware model of the in-service fleet, its eligible signed releases ranked newest first: built for the model
    /// (a release_hardware row naming it, or no row at all: built for every model), and not a release that was rolled
    /// out only in aborted or cancelled rollouts (a bad release an operator stopped). Rank 1 is the model's latest
    /// release, rank 2 its N-1.
    /// </summary>
    private const string RankedReleases =
        "WITH models AS (SELECT DISTINCT d.model AS model FROM devices d WHERE " + InService + "), " +
        "eligible AS (SELECT r.id, r.version, r.channel, r.security_version, r.signed_at, COALESCE(r.signed_at, r.created_at) AS at " +
        "  FROM releases r WHERE r.state = 'signed' AND (NOT EXISTS (SELECT 1 FROM rollouts ro WHERE ro.release_id = r.id) " +
        "  OR EXISTS (SELECT 1 FROM rollouts ro WHERE ro.release_id = r.id AND ro.status NOT IN ('aborted', 'cancelled')))), " +
        "ranked AS (SELECT m.model AS model, e.id AS id, e.version AS version, e.channel AS channel, " +
        "  e.security_version AS security_version, e.signed_at AS signed_at, " +
        "  ROW_NUMBER() OVER (PARTITION BY m.model ORDER BY e.security_version DESC, e.at DESC, e.id DESC) AS n " +
        "  FROM models m JOIN eligible e ON EXISTS (SELECT 1 FROM release_hardware h WHERE h.release_id = e.id AND h.hardware_id = m.model) " +
        "  OR NOT EXISTS (SELECT 1 FROM release_hardware h WHERE h.release_id = e.id)) ";

    /// <summary>
    /// Two aggregate queries: each model's latest and N-1 release (rows per model, not per device), then in-service
    /// devices per model and rank. A device runs a release when its last check-in named the release, or (older
    /// agents) only its version; either way only a release of the device's own model counts.
    /// </summary>
    private async Task<ReleaseAdoptionFacts> ReleasesAsync(CancellationToken cancellationToken)
    {
        var releases = (await session.Connection.QueryAsync<RankedReleaseRow>(session.Command(
            RankedReleases + "SELECT model AS Model, n AS Rank, id AS Id, version AS Version, channel AS Channel, " +
            "security_version AS SecurityVersion, signed_at AS SignedAt FROM ranked WHERE n <= 2",
            null, cancellationToken))).ToList();
        var devices = (await session.Connection.QueryAsync<DevicesOnRankRow>(session.Command(
            RankedReleases + "SELECT k.model AS Model, k.n AS Rank, COUNT(*) AS Devices FROM ranked k " +
            "JOIN devices d ON d.model = k.model JOIN device_software s ON s.device_id = d.id " +
            $"WHERE k.n <= 2 AND {InService} AND (s.release_id = k.id OR (s.release_id IS NULL AND s.version = k.version)) " +
            "GROUP BY k.model, k.n",
            null, cancellationToken))).ToDictionary(r => (r.Model, r.Rank), r => r.Devices);
        var models = releases.Where(r => r.Rank == 1)
            .OrderBy(r => r.Model, StringComparer.Ordinal)
            .Select(latest =>
            {
                var previous = releases.SingleOrDefault(r => r.Model == latest.Model && r.Rank == 2);
                return new ModelReleaseAdoption(latest.Model, latest.ToRecord(), previous?.ToRecord(),
                    devices.GetValueOrDefault((latest.Model, 1L)), devices.GetValueOrDefault((latest.Model, 2L)));
            })
            .ToList();
        return new ReleaseAdoptionFacts(models);
    }

    private async Task<OtaFacts> OtaAsync(object window, CancellationToken cancellationToken)
    {
        var row = await SingleAsync<OtaRow>(
            "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), 0) AS BIGINT) AS Succeeded, " +
            "CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS Failed, " +
            "CAST(COALESCE(SUM(CASE WHEN status = 'rolled-back' THEN 1 ELSE 0 END), 0) AS BIGINT) AS RolledBack, " +
            "COUNT(DISTINCT rollout_id) AS Rollouts, " +
            "COUNT(DISTINCT CASE WHEN status = 'rolled-back' THEN rollout_id END) AS RolloutsWithRollback " +
            "FROM device_assignments WHERE finished_at >= @start AND finished_at <= @now AND status IN ('succeeded', 'failed', 'rolled-back')",
            window, cancellationToken);
        return new OtaFacts(row.Succeeded, row.Failed, row.RolledBack, row.Rollouts, row.RolloutsWithRollback);
    }

    /// <summary>
    /// Release signing to device success, over updates that succeeded in the window: counted first, then the one or two
    /// middle durations fetched with ORDER BY ... LIMIT/OFFSET (no engine-specific percentile function needed).
    /// </summary>
    private async Task<MedianSample> PatchMedianAsync(long now, long start, bool securityOnly, CancellationToken cancellationToken)
    {
        var from =
            "FROM device_assignments a JOIN rollouts ro ON ro.id = a.rollout_id JOIN releases r ON r.id = ro.release_id " +
            "WHERE a.status = 'succeeded' AND a.finished_at >= @start AND a.finished_at <= @now" +
            (securityOnly ? " AND ro.release_channel = 'security'" : "");
        var count = await ScalarAsync("SELECT COUNT(*) " + from, new { now, start }, cancellationToken);
        if (count == 0)
        {
            return MedianSample.Empty;
        }
        var (skip, take) = count % 2 == 1 ? ((count - 1) / 2, 1L) : (count / 2 - 1, 2L);
        var middle = (await session.Connection.QueryAsync<long>(session.Command(
            "SELECT a.finished_at - COALESCE(r.signed_at, r.created_at) AS d " + from + " ORDER BY d LIMIT @take OFFSET @skip",
            new { now, start, take, skip }, cancellationToken))).ToList();
        return new MedianSample(count, middle[0], middle[^1]);
    }

    private async Task<IncidentFacts> IncidentsAsync(object window, CancellationToken cancellationToken)
    {
        const string Real = "status <> 'dismissed'";
        const string Recovered = Real + " AND recovered_at IS NOT NULL";
        var row = await SingleAsync<IncidentRow>(
            $"SELECT CAST(COALESCE(SUM(CASE WHEN {Real} THEN 1 ELSE 0 END), 0) AS BIGINT) AS Detected, " +
            $"CAST(COALESCE(SUM(CASE WHEN {Real} THEN detected_at - first_anomalous_at ELSE 0 END), 0) AS BIGINT) AS DetectMsSum, " +
            $"CAST(COALESCE(SUM(CASE WHEN {Recovered} THEN 1 ELSE 0 END), 0) AS BIGINT) AS Recovered, " +
            $"CAST(COALESCE(SUM(CASE WHEN {Recovered} THEN recovered_at - detected_at ELSE 0 END), 0) AS BIGINT) AS RecoverMsSum, " +
            "CAST(COALESCE(SUM(CASE WHEN status = 'dismissed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS Dismissed " +
            "FROM incidents WHERE detected_at >= @start AND detected_at <= @now",
            window, cancellationToken);
        return new IncidentFacts(row.Detected, row.DetectMsSum, row.Recovered, row.RecoverMsSum, row.Dismissed);
    }

    private Task<long> ScalarAsync(string sql, object? parameters, CancellationToken cancellationToken) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command(sql, parameters, cancellationToken));

    private Task<T> SingleAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        session.Connection.QuerySingleAsync<T>(session.Command(sql, parameters, cancellationToken));

    private sealed class FleetRow
    {
        public long Active { get; set; }
        public long Quarantined { get; set; }
    }

    private sealed class CredentialRow
    {
        public long WithValid { get; set; }
        public long Sharing { get; set; }
        public long Unknown { get; set; }
        public long UniqueKey { get; set; }
        public long WithinSlo { get; set; }
    }

    private sealed class ConnectionRow
    {
        public long Authenticated { get; set; }
        public long Refused { get; set; }
        public long Anonymous { get; set; }
    }

    private sealed class OtaRow
    {
        public long Succeeded { get; set; }
        public long Failed { get; set; }
        public long RolledBack { get; set; }
        public long Rollouts { get; set; }
        public long RolloutsWithRollback { get; set; }
    }

    private sealed class IncidentRow
    {
        public long Detected { get; set; }
        public long DetectMsSum { get; set; }
        public long Recovered { get; set; }
        public long RecoverMsSum { get; set; }
        public long Dismissed { get; set; }
    }

    private sealed class DevicesOnRankRow
    {
        public string Model { get; set; } = "";
        public long Rank { get; set; }
        public long Devices { get; set; }
    }

    private sealed class RankedReleaseRow
    {
        public string Model { get; set; } = "";
        public long Rank { get; set; }
        public string Id { get; set; } = "";
        public string Version { get; set; } = "";
        public string Channel { get; set; } = "";
        public long SecurityVersion { get; set; }
        public long? SignedAt { get; set; }

        public ReceiptRelease ToRecord() => new(Id, Version,
            ReleaseChannelNames.TryParse(Channel, out var channel) ? channel : throw new InvalidOperationException($"Release {Id} has unknown channel '{Channel}'."),
            SecurityVersion, UnixTime.FromMs(SignedAt));
    }
}

/// <summary>
/// Identifies a certificate's key for the unique-credential figure: SHA-256 of its DER SubjectPublicKeyInfo
/// (RFC 5280 4.1.2.7). Null when the bytes are not a certificate, so a malformed row never blocks an insert.
/// </summary>
internal static class PublicKeyFingerprint
{
    public static byte[]? Of(byte[] der)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
