using System.Text;
using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Server.Configuration;
using Fleetward.Server.Problems;
using Fleetward.Server.Updates;
using Fleetward.Storage;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Tests.Updates;

/// <summary>The repository service over a data directory made by `fleetward init` and its SQLite database.</summary>
public sealed class TufRepositoryServiceTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleetward-tufrepo-").FullName;
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero));
    private DataDirectory _data = null!;
    private UpdatesDirectory _updates = null!;
    private IFleetStore _store = null!;

    public async Task InitializeAsync()
    {
        _data = new DataDirectory(Path.Combine(_dir, "data"));
        var loopback = new Uri("https://127.0.0.1:0");
        await DataDirectoryInitializer.InitializeAsync(_data, loopback, loopback, null, _clock, CancellationToken.None);
        _updates = new UpdatesDirectory(_data.Root);
        _store = await FleetStores.OpenSqliteAsync(_data.DefaultDatabasePath, CancellationToken.None, _clock);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private TufRepositoryService NewService() =>
        new(_store, _updates, UpdatesSettings.Load(_updates), TufKeyring.Load(_updates, _ => null), new ArtifactStore(_updates), _clock);

    private async Task<Release> PublishAsync(TufRepositoryService service, string version, string channel = "stable")
    {
        var artifact = await service.Artifacts.PutAsync(new MemoryStream(Encoding.UTF8.GetBytes("firmware " + version)), 1 << 20, CancellationToken.None);
        return await service.PublishAsync(new PublishReleaseRequest(artifact.Sha256, "fw.bin", version, 2, ["robot-a"], channel), "token:test", CancellationToken.None);
    }

    [Fact]
    public async Task Init_publishes_every_role_with_the_security_delegation_and_serves_them_by_consistent_snapshot_names()
    {
        var service = NewService();
        var root = SignedMetadata<RootMetadata>.Parse((await service.ReadMetadataAsync("1.root.json", CancellationToken.None))!);
        Assert.True(root.Signed.ConsistentSnapshot);
        Assert.All(root.Signed.Keys.Values, key => Assert.Equal(SigningKeyClass.Development, SigningKeyMarker.ClassOf(key)));
        var targets = SignedMetadata<TargetsMetadata>.Parse((await service.ReadMetadataAsync("2.targets.json", CancellationToken.None))!);
        Assert.Equal(ReleaseTarget.SecurityRole, Assert.Single(targets.Signed.Delegations!.Roles).Name);
        Assert.NotNull(await service.ReadMetadataAsync("timestamp.json", CancellationToken.None));
        Assert.NotNull(await service.ReadMetadataAsync("1.security.json", CancellationToken.None));
        Assert.Null(await service.ReadMetadataAsync("../fleetward.json", CancellationToken.None));
        Assert.Null(await service.ReadMetadataAsync("9.root.json", CancellationToken.None));
    }

    [Fact]
    public async Task The_development_root_key_is_never_loaded_by_the_server()
    {
        var root = TufKeyFile.Open(Path.Combine(_updates.DevelopmentKeysDirectory, "root.key"), () => null);
        var keyring = TufKeyring.Load(_updates, _ => null);
        Assert.DoesNotContain(keyring.Signers, s => s.PublicKey.KeyId == root.PublicKey.KeyId);
        Assert.Equal(4, keyring.Signers.Count);
    }

    [Fact]
    public async Task A_published_release_is_signed_and_its_artifact_served_under_either_hash_only()
    {
        var service = NewService();
        var release = await PublishAsync(service, "1.0.0");
        Assert.Equal(ReleaseState.Signed, release.State);
        await using (var bySha256 = (await service.OpenTargetAsync($"stable/1.0.0/{release.Sha256}.fw.bin", CancellationToken.None))!.Value.Content) { }
        await using (var bySha512 = (await service.OpenTargetAsync($"stable/1.0.0/{release.Sha512}.fw.bin", CancellationToken.None))!.Value.Content) { }
        Assert.Null(await service.OpenTargetAsync($"stable/1.0.0/{new string('0', 64)}.fw.bin", CancellationToken.None));
        Assert.Null(await service.OpenTargetAsync("stable/1.0.0/fw.bin", CancellationToken.None));
    }

    [Fact]
    public async Task Publishing_the_same_version_and_file_twice_is_a_conflict()
    {
        var service = NewService();
        await PublishAsync(service, "1.0.0");
        var conflict = await Assert.ThrowsAsync<ProblemException>(() => PublishAsync(service, "1.0.0"));
        Assert.Equal(409, conflict.Problem.Type.Status);
    }

    [Fact]
    public async Task Bad_release_fields_are_refused_naming_the_field()
    {
        var service = NewService();
        var artifact = await service.Artifacts.PutAsync(new MemoryStream([1, 2, 3]), 100, CancellationToken.None);
        async Task<string?> FieldOf(PublishReleaseRequest request) =>
            (await Assert.ThrowsAsync<ProblemException>(() => service.PublishAsync(request, "t", CancellationToken.None))).Problem.Field;
        var good = new PublishReleaseRequest(artifact.Sha256, "fw.bin", "1.0.0", 1, ["robot-a"]);
        Assert.Equal("$.version", await FieldOf(good with { Version = "../1" }));
        Assert.Equal("$.fileName", await FieldOf(good with { FileName = "a/b" }));
        Assert.Equal("$.securityVersion", await FieldOf(good with { SecurityVersion = -1 }));
        Assert.Equal("$.hardware", await FieldOf(good with { Hardware = [] }));
        Assert.Equal("$.channel", await FieldOf(good with { Channel = "beta" }));
        Assert.Equal("$.artifactSha256", await FieldOf(good with { ArtifactSha256 = new string('0', 64) }));
    }

    [Fact]
    public async Task Without_the_targets_key_a_release_stays_pending_across_a_restart_and_appears_in_the_draft()
    {
        File.Delete(Path.Combine(_updates.DevelopmentKeysDirectory, "targets.key"));
        var release = await PublishAsync(NewService(), "2.0.0");
        Assert.Equal(ReleaseState.Pending, release.State);

        var restarted = NewService();
        var draft = await restarted.DraftAsync(TufRoles.Targets, CancellationToken.None);
        Assert.Equal(3, draft.Signed.Version);
        Assert.True(draft.Signed.Targets.ContainsKey("stable/2.0.0/fw.bin"));
        Assert.Empty(draft.Signatures);
    }

    [Fact]
    public async Task Timestamp_is_re_signed_past_half_its_lifetime_and_snapshot_past_half_of_its_own()
    {
        var service = NewService();
        Assert.Empty(await service.RefreshDueAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(13));
        Assert.Equal([TufRoles.Timestamp], await service.RefreshDueAsync(CancellationToken.None));
        Assert.Empty(await service.RefreshDueAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromDays(4));
        Assert.Equal([TufRoles.Snapshot, TufRoles.Timestamp], await service.RefreshDueAsync(CancellationToken.None));
        var timestamp = SignedMetadata<TimestampMetadata>.Parse((await NewService().ReadMetadataAsync("timestamp.json", CancellationToken.None))!);
        Assert.Equal(_clock.GetUtcNow().AddDays(1), timestamp.Signed.Expires);
    }

    [Fact]
    public async Task While_a_release_waits_for_its_offline_signature_timestamp_and_snapshot_are_still_re_signed()
    {
        File.Delete(Path.Combine(_updates.DevelopmentKeysDirectory, "targets.key"));
        var service = NewService();
        await PublishAsync(service, "2.0.0");
        _clock.Advance(TimeSpan.FromDays(50));
        Assert.Equal([TufRoles.Snapshot, TufRoles.Timestamp], await service.RefreshDueAsync(CancellationToken.None));
        await using var read = await _store.ReadAsync();
        Assert.Equal(ReleaseState.Pending, (await read.Releases.FindByVersionAsync("2.0.0", ReleaseChannel.Stable))!.State);
    }

    [Fact]
    public async Task A_root_listing_a_timestamp_key_the_server_does_not_hold_is_refused()
    {
        var service = NewService();
        var current = await service.CurrentRootAsync(CancellationToken.None);
        var rootKey = new MarkedTufSigner(TufKeyFile.Open(Path.Combine(_updates.DevelopmentKeysDirectory, "root.key"), () => null), SigningKeyClass.Development);
        var stranger = Ed25519TufSigner.Generate();
        var next = current.Signed.WithRole(TufRoles.Timestamp, new TufRoleAssignment([stranger.PublicKey], 1)) with { Version = 2 };
        var refused = await Assert.ThrowsAsync<ProblemException>(() =>
            service.AcceptRootAsync(SignedMetadata<RootMetadata>.Create(next, [rootKey]).ToBytes(), "token:admin", CancellationToken.None));
        Assert.Equal(409, refused.Problem.Type.Status);
        Assert.Equal("$.signed.roles.timestamp", refused.Problem.Field);
        Assert.Equal(1, (await NewService().CurrentRootAsync(CancellationToken.None)).Signed.Version);
    }

    private async Task<List<string>> AuditTypesAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + _data.DefaultDatabasePath);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type FROM audit_entries ORDER BY idx";
        var types = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) types.Add(reader.GetString(0));
        return types;
    }

    [Fact]
    public async Task Publishing_and_signing_are_audited_and_a_refused_signature_is_audited_without_storing_the_release()
    {
        var service = NewService();
        await PublishAsync(service, "1.0.0");
        var types = await AuditTypesAsync();
        Assert.Equal(["tuf.repository_initialized", "release.published", "release.signed"], types.Where(t => t.StartsWith("tuf.", StringComparison.Ordinal) || t.StartsWith("release.", StringComparison.Ordinal)));

        var targetsKey = TufKeyFile.Open(Path.Combine(_updates.DevelopmentKeysDirectory, "targets.key"), () => null);
        var keyId = SigningKeyMarker.Mark(targetsKey.PublicKey, SigningKeyClass.Development).KeyId;
        (UpdatesSettings.Load(_updates) with
        {
            SigningKeys = [new SigningKeySettings { KeyId = keyId, Class = "development", MaxReleasesPerPeriod = 1, QuotaPeriod = TimeSpan.FromDays(1) }],
        }).Save(_updates);
        var limited = NewService();
        var refused = await Assert.ThrowsAsync<ProblemException>(() => PublishAsync(limited, "1.0.1"));
        Assert.Equal("signing-refused", refused.Problem.Type.Code);
        Assert.Contains(ReleaseSigningPolicy.QuotaRule, refused.Message);
        Assert.Equal("release.signing_refused", (await AuditTypesAsync())[^1]);
        await using var read = await _store.ReadAsync();
        Assert.Null(await read.Releases.FindByVersionAsync("1.0.1", ReleaseChannel.Stable));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_require_device_certificate_setting_decides_whether_the_tuf_routes_need_a_device(bool require)
    {
        (UpdatesSettings.Load(_updates) with { RequireDeviceCertificate = require }).Save(_updates);
        using var certificate = OperatorCertificate.LoadPem(_data.OperatorCertificatePath, _data.OperatorKeyPath);
        var loopback = new Uri("https://127.0.0.1:0");
        await using var server = FleetwardServer.Build(
            new Options.ServerOptions { OperatorUrl = loopback, DeviceUrl = loopback, OperatorCertificate = certificate, DataDirectory = _data.Root }, _store);
        var tuf = server.Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/tuf/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, tuf.Count);
        Assert.All(tuf, e =>
        {
            Assert.Equal(require, e.Metadata.GetMetadata<Devices.DeviceAccessMetadata>() is not null);
            Assert.Equal(!require, e.Metadata.GetMetadata<Devices.AnonymousDeviceEndpointMetadata>() is not null);
        });
    }

    [Fact]
    public async Task A_settings_file_with_an_unknown_key_stops_the_server_at_build_naming_the_file()
    {
        await File.WriteAllTextAsync(_updates.SettingsPath, "{ \"requireDeviceCertificat\": true }");
        using var certificate = OperatorCertificate.LoadPem(_data.OperatorCertificatePath, _data.OperatorKeyPath);
        var loopback = new Uri("https://127.0.0.1:0");
        var refused = Assert.Throws<ConfigurationException>(() => FleetwardServer.Build(
            new Options.ServerOptions { OperatorUrl = loopback, DeviceUrl = loopback, OperatorCertificate = certificate, DataDirectory = _data.Root }, _store));
        Assert.Equal(_updates.SettingsPath, refused.File);
        Assert.Contains("requireDeviceCertificat", refused.Message);
    }
}
