using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Identity;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Tests.Receipts;

/// <summary>The receipts' aggregate queries, unchanged against SQLite and PostgreSQL.</summary>
public abstract class ReceiptStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset WindowStart = Now.AddDays(-30);
    private static readonly ReceiptQuery Query = new(Now, WindowStart, SecurityReceiptsCalculator.RenewalDeadlineFraction);

    private async Task<ReceiptFacts> GatherAsync()
    {
        await using var read = await Store.ReadAsync();
        return await read.Receipts.GatherAsync(Query);
    }

    private async Task WorkAsync(Func<IFleetUnitOfWork, Task> change)
    {
        await using var work = await Store.BeginAsync();
        await change(work);
        await work.CommitAsync();
    }

    private static Device NewDevice(string id, DeviceLifecycleState state = DeviceLifecycleState.Active) =>
        new(id, "mower", null, [], state, Now.AddDays(-100), null, null);

    /// <summary>A real certificate (so the store can fingerprint its key) for <paramref name="key"/>, valid [notBefore, notAfter).</summary>
    private static StoredDeviceCertificate Certificate(string serial, string deviceId, ECDsa key, DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset? revokedAt = null)
    {
        var request = new CertificateRequest("CN=" + deviceId, key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        return new StoredDeviceCertificate(serial, deviceId, notBefore, notAfter, notBefore, revokedAt, revokedAt is null ? null : "keyCompromise", certificate.RawData);
    }

    [Fact]
    public async Task An_empty_database_gathers_zeros_and_no_releases()
    {
        var facts = await GatherAsync();
        Assert.Equal(new FleetFacts(0, 0), facts.Fleet);
        Assert.Equal(new CredentialFacts(0, 0, 0, 0, 0), facts.Credentials);
        Assert.Equal(new ConnectionFacts(0, 0, 0), facts.Connections);
        Assert.Empty(facts.Releases.Models);
        Assert.Equal(new OtaFacts(0, 0, 0, 0, 0), facts.Ota);
        Assert.Equal(MedianSample.Empty, facts.PatchAll);
        Assert.Equal(new IncidentFacts(0, 0, 0, 0, 0), facts.Incidents);
        Assert.Equal(0, facts.QuarantinesInWindow);
        Assert.Equal(new AuditFacts(0, null), facts.Audit);
    }

    [Fact]
    public async Task Fleet_counts_only_active_and_quarantined_devices()
    {
        await WorkAsync(async work =>
        {
            await work.Devices.InsertAsync(NewDevice("a1"));
            await work.Devices.InsertAsync(NewDevice("a2"));
            await work.Devices.InsertAsync(NewDevice("q1", DeviceLifecycleState.Quarantined));
            await work.Devices.InsertAsync(NewDevice("p1", DeviceLifecycleState.Pending));
            await work.Devices.InsertAsync(NewDevice("x1", DeviceLifecycleState.Decommissioned));
        });
        Assert.Equal(new FleetFacts(2, 1), (await GatherAsync()).Fleet);
    }

    [Fact]
    public async Task Credentials_find_keys_shared_between_devices_and_certificates_past_their_renewal_deadline()
    {
        using var unique = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var shared = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var renewedSameKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stale = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var grouped = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await WorkAsync(async work =>
        {
            foreach (var id in new[] { "unique", "share-a", "share-b", "renewed", "stale", "expired", "revoked", "grouped" })
            {
                await work.Devices.InsertAsync(NewDevice(id));
            }
            await work.Devices.InsertAsync(NewDevice("retired", DeviceLifecycleState.Decommissioned));
            // Fresh (2 h into 24 h): unique and within the SLO.
            await work.Certificates.InsertAsync(Certificate("01", "unique", unique, Now.AddHours(-2), Now.AddHours(22)));
            // Two devices with one key: both count as sharing.
            await work.Certificates.InsertAsync(Certificate("02", "share-a", shared, Now.AddHours(-1), Now.AddHours(23)));
            await work.Certificates.InsertAsync(Certificate("03", "share-b", shared, Now.AddHours(-1), Now.AddHours(23)));
            // A device re-using its own key across renewals is still unique.
            await work.Certificates.InsertAsync(Certificate("04", "renewed", renewedSameKey, Now.AddHours(-30), Now.AddHours(-6)));
            await work.Certificates.InsertAsync(Certificate("05", "renewed", renewedSameKey, Now.AddHours(-1), Now.AddHours(23)));
            // 20 h into 24 h: past 2/3 + 5 % (17.2 h), valid but outside the SLO.
            await work.Certificates.InsertAsync(Certificate("06", "stale", stale, Now.AddHours(-20), Now.AddHours(4)));
            // Only expired or revoked certificates: no valid certificate.
            using (var k = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                await work.Certificates.InsertAsync(Certificate("07", "expired", k, Now.AddHours(-30), Now.AddHours(-1)));
            }
            using (var k = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                await work.Certificates.InsertAsync(Certificate("08", "revoked", k, Now.AddHours(-1), Now.AddHours(23), revokedAt: Now.AddMinutes(-5)));
            }
            // A decommissioned device's old certificate with the stale device's key makes that key shared.
            await work.Certificates.InsertAsync(Certificate("09", "retired", stale, Now.AddDays(-50), Now.AddDays(-49)));
            // 10 h into a 30-day certificate, but the device's group configures 12 h: past 0.7167 × 12 h = 8.6 h.
            Assert.True(await work.Enrollment.InsertGroupAsync(new EnrollmentGroup("short", [], "mower", [], TimeSpan.FromHours(12), EnrollmentApproval.Automatic, Now.AddDays(-100))));
            await work.Enrollment.SetDeviceGroupAsync("grouped", "short");
            await work.Certificates.InsertAsync(Certificate("10", "grouped", grouped, Now.AddHours(-10), Now.AddDays(30)));
        });

        var credentials = (await GatherAsync()).Credentials;

        Assert.Equal(6, credentials.DevicesWithValidCertificate);
        Assert.Equal(3, credentials.DevicesSharingKey);
        Assert.Equal(3, credentials.DevicesWithUniqueKey);
        Assert.Equal(0, credentials.DevicesWithoutFingerprint);
        Assert.Equal(4, credentials.DevicesWithinRotationSlo);
    }

    [Fact]
    public async Task A_certificate_whose_der_does_not_parse_has_an_unknown_fingerprint()
    {
        await WorkAsync(async work =>
        {
            await work.Devices.InsertAsync(NewDevice("odd"));
            await work.Certificates.InsertAsync(new StoredDeviceCertificate("0F", "odd", Now.AddHours(-1), Now.AddHours(23), Now.AddHours(-1), null, null, [1, 2, 3]));
        });
        var credentials = (await GatherAsync()).Credentials;
        Assert.Equal((1L, 0L, 1L), (credentials.DevicesWithValidCertificate, credentials.DevicesWithUniqueKey, credentials.DevicesWithoutFingerprint));
    }

    [Fact]
    public async Task Connection_tallies_add_up_per_hour_and_are_summed_over_the_window()
    {
        var hour = ConnectionTally.HourOf(Now.AddHours(-3));
        await WorkAsync(async work =>
        {
            await work.Receipts.AddConnectionTallyAsync(new ConnectionTally(hour, 10, 1, 2));
            await work.Receipts.AddConnectionTallyAsync(new ConnectionTally(hour, 5, 0, 1));
            await work.Receipts.AddConnectionTallyAsync(new ConnectionTally(ConnectionTally.HourOf(Now.AddHours(-1)), 100, 3, 0));
            await work.Receipts.AddConnectionTallyAsync(new ConnectionTally(ConnectionTally.HourOf(WindowStart.AddDays(-1)), 1000, 1000, 1000));
        });
        Assert.Equal(new ConnectionFacts(115, 4, 3), (await GatherAsync()).Connections);
    }

    [Fact]
    public async Task A_tally_must_start_on_the_hour()
    {
        await using var work = await Store.BeginAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => work.Receipts.AddConnectionTallyAsync(new ConnectionTally(Now.AddMinutes(5), 1, 0, 0)));
    }

    private static Release NewRelease(string id, string version, long securityVersion, ReleaseChannel channel, DateTimeOffset? signedAt) =>
        new(id, version, securityVersion, channel, $"mower/{id}.bin", channel == ReleaseChannel.Security ? "security" : "targets", ["mower"],
            100, new string('a', 64), new string('b', 128), null, signedAt is null ? ReleaseState.Pending : ReleaseState.Signed,
            Now.AddDays(-60), "signer", signedAt is null ? null : 1, signedAt);

    [Fact]
    public async Task Release_adoption_orders_signed_releases_by_security_version_then_signing_and_counts_in_service_devices()
    {
        await WorkAsync(async work =>
        {
            await work.Releases.InsertAsync(NewRelease("r1", "1.0.0", 5, ReleaseChannel.Stable, Now.AddDays(-20)));
            await work.Releases.InsertAsync(NewRelease("r2", "1.1.0", 6, ReleaseChannel.Stable, Now.AddDays(-10)));
            await work.Releases.InsertAsync(NewRelease("r3", "1.1.1", 6, ReleaseChannel.Security, Now.AddDays(-2)));
            await work.Releases.InsertAsync(NewRelease("r4", "2.0.0", 9, ReleaseChannel.Stable, null));
            foreach (var id in new[] { "d1", "d2", "d3", "d4" })
            {
                await work.Devices.InsertAsync(NewDevice(id));
            }
            await work.Devices.InsertAsync(NewDevice("gone", DeviceLifecycleState.Decommissioned));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d1", "r3", "1.1.1", 6, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d2", null, "1.1.1", 6, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d3", "r2", "1.1.0", 6, "b", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("gone", "r3", "1.1.1", 6, "b", "healthy", Now));
        });

        var releases = (await GatherAsync()).Releases;

        var mower = Assert.Single(releases.Models);
        Assert.Equal(new ReceiptRelease("r3", "1.1.1", ReleaseChannel.Security, 6, Now.AddDays(-2)), mower.Latest);
        Assert.Equal("r2", mower.Previous!.Id);
        Assert.Equal(2, mower.DevicesOnLatest);
        Assert.Equal(1, mower.DevicesOnPrevious);
    }

    private static Release ModelRelease(string id, string model, string version, long securityVersion, DateTimeOffset signedAt) =>
        NewRelease(id, version, securityVersion, ReleaseChannel.Stable, signedAt) with { TargetPath = $"{model}/{id}.bin", HardwareIds = [model] };

    private async Task<(long? Latest, long? Previous)> DevicesOnLatestAndPreviousAsync()
    {
        var receipts = SecurityReceiptsCalculator.Compute("test", Now, WindowStart, await GatherAsync(), null);
        return (receipts.Figure(ReceiptFigureIds.DevicesOnLatestRelease).Numerator, receipts.Figure(ReceiptFigureIds.DevicesOnPreviousRelease).Numerator);
    }

    [Fact]
    public async Task Each_device_counts_toward_the_latest_and_previous_release_of_its_own_model_only()
    {
        await WorkAsync(async work =>
        {
            await work.Releases.InsertAsync(ModelRelease("mw1", "mower", "1.0.0", 5, Now.AddDays(-20)));
            await work.Releases.InsertAsync(ModelRelease("mw2", "mower", "1.1.0", 6, Now.AddDays(-10)));
            await work.Releases.InsertAsync(ModelRelease("rv1", "rover", "1.0.0", 1, Now.AddDays(-30)));
            await work.Releases.InsertAsync(ModelRelease("rv2", "rover", "2.0.0", 2, Now.AddDays(-5)));
            foreach (var (id, model) in new[] { ("m1", "mower"), ("m2", "mower"), ("m3", "mower"), ("m4", "mower"), ("r1", "rover"), ("r2", "rover"), ("r3", "rover"), ("x1", "drone") })
            {
                await work.Devices.InsertAsync(NewDevice(id) with { Model = model });
            }
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("m1", "mw2", "1.1.0", 6, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("m2", null, "1.1.0", 6, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("m3", "mw1", "1.0.0", 5, "a", "healthy", Now));
            // A mower whose agent reports only "2.0.0": rover's latest version string, not a mower release.
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("m4", null, "2.0.0", 2, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("r1", "rv2", "2.0.0", 2, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("r2", null, "2.0.0", 2, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("r3", null, "1.0.0", 1, "a", "healthy", Now));
        });

        // Latest: m1, m2 (mw2) and r1, r2 (rv2), not m4. N-1: m3 (mw1) and r3 (rv1 by version, within rover).
        Assert.Equal((4L, 2L), await DevicesOnLatestAndPreviousAsync());
    }

    [Fact]
    public async Task A_release_with_no_hardware_ids_is_built_for_every_model()
    {
        await WorkAsync(async work =>
        {
            await work.Releases.InsertAsync(ModelRelease("mw1", "mower", "1.0.0", 5, Now.AddDays(-20)));
            await work.Releases.InsertAsync(ModelRelease("all", "any", "9.0.0", 9, Now.AddDays(-1)) with { HardwareIds = [] });
            await work.Devices.InsertAsync(NewDevice("m1"));
            await work.Devices.InsertAsync(NewDevice("r1") with { Model = "rover" });
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("m1", "mw1", "1.0.0", 5, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("r1", "all", "9.0.0", 9, "a", "healthy", Now));
        });

        var models = (await GatherAsync()).Releases.Models;

        Assert.Equal(["mower", "rover"], models.Select(m => m.Model));
        Assert.All(models, m => Assert.Equal("all", m.Latest.Id));
        Assert.Equal("mw1", models[0].Previous!.Id);
        Assert.Null(models[1].Previous);
        Assert.Equal((1L, 1L), await DevicesOnLatestAndPreviousAsync());
    }

    [Fact]
    public async Task A_release_whose_rollouts_were_all_aborted_or_cancelled_is_not_the_latest()
    {
        await WorkAsync(async work =>
        {
            await work.Releases.InsertAsync(ModelRelease("mw0", "mower", "0.9.0", 4, Now.AddDays(-40)));
            await work.Releases.InsertAsync(ModelRelease("mw1", "mower", "1.0.0", 5, Now.AddDays(-20)));
            await work.Releases.InsertAsync(ModelRelease("bad", "mower", "1.1.0", 6, Now.AddDays(-3)));
            await work.Releases.InsertAsync(ModelRelease("bad2", "mower", "1.2.0", 7, Now.AddDays(-2)));
            foreach (var (rollout, release, status) in new[]
            {
                ("ro-1", "mw1", RolloutStatus.Completed), ("ro-bad", "bad", RolloutStatus.Aborted),
                ("ro-bad2a", "bad2", RolloutStatus.Aborted), ("ro-bad2c", "bad2", RolloutStatus.Cancelled),
            })
            {
                var definition = Rollout(rollout, release, ReleaseChannel.Stable);
                Assert.True(await work.Rollouts.InsertAsync(definition, RolloutState.Draft(definition, Now.AddDays(-10)) with { Status = status }));
            }
            foreach (var id in new[] { "d1", "d2", "d3", "d4" })
            {
                await work.Devices.InsertAsync(NewDevice(id));
            }
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d1", "mw1", "1.0.0", 5, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d2", "mw1", "1.0.0", 5, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d3", "bad", "1.1.0", 6, "a", "healthy", Now));
            await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d4", "mw0", "0.9.0", 4, "a", "healthy", Now));
        });

        // mw1 (its rollout completed) is the latest and mw0 (signed, never rolled out) N-1; bad and bad2 are skipped.
        Assert.Equal((2L, 1L), await DevicesOnLatestAndPreviousAsync());
    }

    private static RolloutDefinition Rollout(string id, string releaseId, ReleaseChannel channel) => new(
        id,
        new ReleaseReference(releaseId, "1.0." + releaseId, 1, channel),
        new DeviceSelection("mower", [], [], []),
        [new RingDefinition(100m, TimeSpan.Zero, 90m, false)],
        new ErrorThreshold(3, null, 1, ErrorThresholdAction.Pause),
        null,
        TimeSpan.FromMinutes(30),
        1,
        new MaintenancePolicy([], true));

    private static DeviceAssignment Finished(string rolloutId, string deviceId, DeviceUpdateStatus status, DateTimeOffset finishedAt) =>
        DeviceAssignment.Create(rolloutId, deviceId, 0, 0, "0.9.0", finishedAt.AddHours(-1)) with { Status = status, FinishedAt = finishedAt, StatusChangedAt = finishedAt };

    [Fact]
    public async Task Ota_outcomes_rollbacks_and_patch_medians_count_updates_finished_in_the_window()
    {
        var published = Now.AddDays(-3);
        await WorkAsync(async work =>
        {
            await work.Releases.InsertAsync(NewRelease("sec", "1.0.sec", 1, ReleaseChannel.Security, published));
            await work.Releases.InsertAsync(NewRelease("std", "1.0.std", 1, ReleaseChannel.Stable, published));
            foreach (var id in Enumerable.Range(1, 8).Select(i => "d" + i))
            {
                await work.Devices.InsertAsync(NewDevice(id));
            }
            foreach (var (rollout, release, channel) in new[] { ("ro-sec", "sec", ReleaseChannel.Security), ("ro-std", "std", ReleaseChannel.Stable), ("ro-old", "std", ReleaseChannel.Stable) })
            {
                var definition = Rollout(rollout, release, channel);
                Assert.True(await work.Rollouts.InsertAsync(definition, RolloutState.Draft(definition, Now.AddDays(-40))));
            }
            // Security: successes 1 h and 3 h after publication (median 2 h), one rolled back.
            await work.Assignments.InsertAsync(Finished("ro-sec", "d1", DeviceUpdateStatus.Succeeded, published.AddHours(1)));
            await work.Assignments.InsertAsync(Finished("ro-sec", "d2", DeviceUpdateStatus.Succeeded, published.AddHours(3)));
            await work.Assignments.InsertAsync(Finished("ro-sec", "d3", DeviceUpdateStatus.RolledBack, published.AddHours(2)));
            // Stable: a success 5 h after publication, a failure, and one still installing.
            await work.Assignments.InsertAsync(Finished("ro-std", "d4", DeviceUpdateStatus.Succeeded, published.AddHours(5)));
            await work.Assignments.InsertAsync(Finished("ro-std", "d5", DeviceUpdateStatus.Failed, published.AddHours(5)));
            await work.Assignments.InsertAsync(DeviceAssignment.Create("ro-std", "d6", 0, 0, null, Now.AddHours(-1)) with { Status = DeviceUpdateStatus.Installing });
            // Before the window: not counted.
            await work.Assignments.InsertAsync(Finished("ro-old", "d7", DeviceUpdateStatus.Succeeded, WindowStart.AddDays(-1)));
        });

        var facts = await GatherAsync();

        Assert.Equal(new OtaFacts(Succeeded: 3, Failed: 1, RolledBack: 1, Rollouts: 2, RolloutsWithRollback: 1), facts.Ota);
        Assert.Equal(new MedianSample(3, 3_600_000 * 3L, 3_600_000 * 3L), facts.PatchAll);
        Assert.Equal(new MedianSample(2, 3_600_000L, 3_600_000 * 3L), facts.PatchSecurity);
    }

    private static Incident NewIncident(string id, string deviceId, DateTimeOffset firstAnomalous, TimeSpan toDetect, TimeSpan? toRecover, bool dismissed = false)
    {
        var detected = firstAnomalous + toDetect;
        return new Incident
        {
            Id = id,
            DeviceId = deviceId,
            Cause = "mirai:" + id,
            Severity = DetectionSeverity.High,
            Status = dismissed ? IncidentStatus.Dismissed : toRecover is null ? IncidentStatus.Detected : IncidentStatus.Recovered,
            Summary = "test",
            FirstAnomalousAt = firstAnomalous,
            DetectedAt = detected,
            RecoveredAt = toRecover is { } r ? detected + r : null,
            DismissedAt = dismissed ? detected.AddMinutes(1) : null,
            LastDetectedAt = detected,
            DetectionCount = 1,
            Signals = ["telnet-scan"],
            Timeline = [],
        };
    }

    [Fact]
    public async Task Incidents_sum_detection_and_recovery_times_leaving_dismissed_ones_apart()
    {
        var t = Now.AddDays(-5);
        await WorkAsync(async work =>
        {
            await work.Incidents.InsertAsync(NewIncident("i1", "d1", t, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10)));
            await work.Incidents.InsertAsync(NewIncident("i2", "d2", t, TimeSpan.FromSeconds(30), null));
            await work.Incidents.InsertAsync(NewIncident("i3", "d3", t, TimeSpan.FromSeconds(99), null, dismissed: true));
            await work.Incidents.InsertAsync(NewIncident("i4", "d4", WindowStart.AddDays(-2), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)));
        });
        Assert.Equal(new IncidentFacts(Detected: 2, DetectMsSum: 40_000, Recovered: 1, RecoverMsSum: 600_000, Dismissed: 1), (await GatherAsync()).Incidents);
    }

    [Fact]
    public async Task Quarantines_are_counted_from_audited_lifecycle_changes_in_the_window()
    {
        await WorkAsync(async work =>
        {
            await work.Audit.AppendAsync(new DeviceStateChangedRecord("d1", DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined, "mirai").ToAuditEvent(Now.AddDays(-1), "playbook"));
            await work.Audit.AppendAsync(new DeviceStateChangedRecord("d1", DeviceLifecycleState.Quarantined, DeviceLifecycleState.Active, "cleaned, \"to\":\"quarantined\" in a reason").ToAuditEvent(Now.AddHours(-5), "alice"));
            await work.Audit.AppendAsync(new DeviceStateChangedRecord("d2", DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined, "manual").ToAuditEvent(Now.AddHours(-1), "alice"));
            await work.Audit.AppendAsync(new DeviceStateChangedRecord("d3", DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined, "old").ToAuditEvent(WindowStart.AddHours(-1), "alice"));
            await work.Audit.AppendAsync(new DeviceStateChangedRecord("d4", DeviceLifecycleState.Active, DeviceLifecycleState.Decommissioned, "retired").ToAuditEvent(Now.AddHours(-1), "alice"));
        });
        var facts = await GatherAsync();
        Assert.Equal(2, facts.QuarantinesInWindow);
        Assert.Equal(5, facts.Audit.LogSize);
    }

    [Fact]
    public async Task Audit_facts_carry_the_newest_checkpoint()
    {
        await WorkAsync(async work =>
        {
            await work.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(0, new byte[32], "note-0", Now.AddHours(-2)));
            await work.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(3, Enumerable.Repeat((byte)7, 32).ToArray(), "note-3", Now.AddHours(-1)));
        });
        var audit = (await GatherAsync()).Audit;
        Assert.Equal(3, audit.LatestCheckpoint!.TreeSize);
        Assert.Equal("note-3", audit.LatestCheckpoint.Note);
    }
}

public sealed class SqliteReceiptStoreContract() : ReceiptStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresReceiptStoreContract() : ReceiptStoreContract(new PostgresTestStoreFactory());
