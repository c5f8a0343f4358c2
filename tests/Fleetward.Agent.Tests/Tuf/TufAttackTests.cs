using System.Text.Json.Nodes;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Tuf;

/// <summary>
/// The attacks TUF is designed to resist (specification section 1.5.2), each played against the device's client through
/// an in-memory repository and a mirror the attacker controls.
/// </summary>
public class TufAttackTests
{
    private static readonly DateTimeOffset Start = SimulatedTufRepository.Start;
    private static readonly byte[] Firmware = [1, 2, 3, 4, 5, 6, 7, 8];

    private static async Task<TufTrustException> Refused(TufTrustFailure reason, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<TufTrustException>(action);
        Assert.True(reason == e.Reason, $"expected {reason}, got {e.Reason}: {e.Message}");
        return e;
    }

    private static SimulatedTufRepository RepositoryWithFirmware(long securityVersion = 1)
    {
        var repo = new SimulatedTufRepository();
        repo.AddTarget("fw/robot.img", Firmware, securityVersion);
        repo.Publish();
        return repo;
    }

    private static byte[] Sign<T>(T metadata, params ITufSigner[] signers) where T : TufRoleMetadata, ITufRoleParser<T> =>
        SignedMetadata<T>.Create(metadata, signers).ToBytes();

    // ---- arbitrary installation --------------------------------------------------------------------------------

    [Fact]
    public async Task Arbitrary_installation_targets_metadata_signed_by_an_attacker_key_is_refused()
    {
        var repo = RepositoryWithFirmware();
        var attacker = Ed25519TufSigner.Generate();
        var malicious = repo.Builder.TargetsRoles[TufRoles.Targets].Signed with
        {
            Targets = new Dictionary<string, TargetFileInfo> { ["fw/robot.img"] = TargetFileInfo.FromContent([6, 6, 6]) },
        };
        // Served under the name snapshot expects; only root's targets keys may sign it.
        repo.Metadata["2.targets.json"] = Sign(malicious, attacker);
        using var device = new SimulatedDevice(repo);
        var e = await Refused(TufTrustFailure.ThresholdNotMet, () => device.UpdateAsync("fw/robot.img"));
        Assert.Equal(TufRoles.Targets, e.Role);
    }

    [Fact]
    public async Task Arbitrary_installation_content_swapped_on_the_mirror_is_refused()
    {
        var repo = RepositoryWithFirmware();
        foreach (var name in repo.Targets.Keys.ToList()) repo.Targets[name] = [6, 6, 6, 6, 6, 6, 6, 6];
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.LengthOrHashMismatch, () => device.UpdateAsync("fw/robot.img"));
    }

    [Fact]
    public async Task Arbitrary_installation_of_a_file_no_role_lists_is_refused()
    {
        var repo = RepositoryWithFirmware();
        repo.Targets["implant.bin"] = [6];
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.TargetNotFound, () => device.UpdateAsync("implant.bin"));
    }

    // ---- endless data ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Endless_data_metadata_download_stops_at_the_role_limit()
    {
        var repo = RepositoryWithFirmware();
        var endless = new EndlessStream();
        repo.MetadataOverride = name => name == "timestamp.json" ? endless : null;
        var options = new TufUpdaterOptions { TimestampMaxLength = 16_384 };
        using var device = new SimulatedDevice(repo, options);
        await Refused(TufTrustFailure.DownloadLimitExceeded, () => device.Updater.RefreshAsync());
        Assert.InRange(endless.BytesRead, 1, options.TimestampMaxLength + 16_384);
    }

    [Fact]
    public async Task Endless_data_target_download_stops_just_past_the_signed_length()
    {
        var repo = RepositoryWithFirmware();
        var endless = new EndlessStream();
        repo.TargetOverride = _ => endless;
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.LengthOrHashMismatch, () => device.UpdateAsync("fw/robot.img"));
        Assert.InRange(endless.BytesRead, Firmware.Length, 81_920);
        Assert.Empty(Directory.GetFiles(device.DownloadDirectory));
    }

    [Fact]
    public async Task Endless_data_snapshot_longer_than_timestamp_says_is_refused()
    {
        var repo = RepositoryWithFirmware();
        var endless = new EndlessStream();
        repo.MetadataOverride = name => name.EndsWith("snapshot.json", StringComparison.Ordinal) ? endless : null;
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.DownloadLimitExceeded, () => device.Updater.RefreshAsync());
        Assert.InRange(endless.BytesRead, 1, repo.Builder.Timestamp!.Signed.SnapshotMeta.Length!.Value + 16_384);
    }

    [Fact]
    public async Task Slow_retrieval_is_cut_off_by_the_download_timeout()
    {
        var repo = RepositoryWithFirmware();
        repo.TargetOverride = _ => new StallingStream(Firmware[..2]);
        using var device = new SimulatedDevice(repo, new TufUpdaterOptions { TargetTimeout = TimeSpan.FromMilliseconds(200) });
        await Refused(TufTrustFailure.DownloadLimitExceeded, () => device.UpdateAsync("fw/robot.img"));
    }

    [Fact]
    public async Task Target_larger_than_the_device_accepts_is_refused_before_download()
    {
        var repo = RepositoryWithFirmware();
        using var device = new SimulatedDevice(repo, new TufUpdaterOptions { TargetMaxLength = 4 });
        await Refused(TufTrustFailure.DownloadLimitExceeded, () => device.UpdateAsync("fw/robot.img"));
        Assert.DoesNotContain(repo.Requests, r => r.StartsWith("targets/", StringComparison.Ordinal));
    }

    // ---- extraneous dependencies -------------------------------------------------------------------------------

    [Fact]
    public async Task Extraneous_dependencies_a_delegated_role_cannot_vouch_outside_its_paths()
    {
        var repo = new SimulatedTufRepository();
        var securityKey = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets,
            new DelegatedRole { Name = "security", Keys = new([securityKey.PublicKey.KeyId], 1), Paths = ["security/*"] },
            [securityKey.PublicKey], [securityKey]);
        // The delegated key holder slips an unrelated package outside its delegation into its own metadata.
        repo.AddTarget("fw/extra-agent.bin", [6, 6], role: "security");
        repo.AddTarget("security/patch.bin", [1], role: "security");
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        Assert.Equal("security", (await device.Updater.FindTargetAsync("security/patch.bin")).Role);
        await Refused(TufTrustFailure.TargetNotFound, () => device.Updater.FindTargetAsync("fw/extra-agent.bin"));
    }

    // ---- fast-forward ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Fast_forward_attack_is_recovered_from_by_rotating_the_timestamp_key()
    {
        var repo = RepositoryWithFirmware();
        var genuine = repo.Builder.Timestamp!.Signed;
        // A stolen timestamp key pushes the version far ahead.
        repo.Metadata["timestamp.json"] = Sign(genuine with { Version = 1000 }, repo.Signers[TufRoles.Timestamp]);
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        Assert.Equal(1000, device.Updater.Trusted.Timestamp!.Signed.Version);

        // Without a key rotation, the genuine timestamp now looks like a rollback.
        repo.Sync();
        await Refused(TufTrustFailure.Rollback, () => device.Updater.RefreshAsync());

        // The repository revokes the stolen key in root version 2 (spec 5.3.11 makes the device forget version 1000).
        var newTimestampKey = Ed25519TufSigner.Generate();
        repo.Builder.SetSigners(TufRoles.Timestamp, [newTimestampKey]);
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Timestamp, new([newTimestampKey.PublicKey], 1)), [repo.Signers[TufRoles.Root]], Start);
        repo.Sync();
        var trusted = await device.Updater.RefreshAsync();
        Assert.Equal(repo.Builder.Timestamp!.Signed.Version, trusted.Timestamp!.Signed.Version);
        Assert.True(trusted.Timestamp.Signed.Version < 1000);
    }

    // ---- indefinite freeze -------------------------------------------------------------------------------------

    [Fact]
    public async Task Indefinite_freeze_stale_but_validly_signed_metadata_is_refused_once_expired()
    {
        var repo = RepositoryWithFirmware();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        // The mirror keeps serving the same files; the device's clock moves past the timestamp's expiry.
        device.Clock.Now = Start + TufExpiryPolicy.Default.Timestamp + TimeSpan.FromSeconds(1);
        var e = await Refused(TufTrustFailure.Expired, () => device.Updater.RefreshAsync());
        Assert.Equal(TufRoles.Timestamp, e.Role);
    }

    [Fact]
    public async Task Indefinite_freeze_of_root_is_detected_after_the_rotation_loop()
    {
        var repo = RepositoryWithFirmware();
        using var device = new SimulatedDevice(repo);
        device.Clock.Now = Start + TufExpiryPolicy.Default.Root + TimeSpan.FromSeconds(1);
        var e = await Refused(TufTrustFailure.Expired, () => device.Updater.RefreshAsync());
        Assert.Equal(TufRoles.Root, e.Role);
    }

    // ---- malicious mirrors -------------------------------------------------------------------------------------

    [Fact]
    public async Task Malicious_mirror_edited_snapshot_fails_the_timestamp_hash()
    {
        var repo = RepositoryWithFirmware();
        // Same length, one field changed: the expiry pushed out by a day.
        var text = System.Text.Encoding.UTF8.GetString(repo.Metadata["2.snapshot.json"]);
        var expires = JsonNode.Parse(text)!["signed"]!["expires"]!.GetValue<string>();
        var later = JsonNode.Parse($"\"{expires}\"")!.GetValue<DateTimeOffset>().AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        repo.Metadata["2.snapshot.json"] = System.Text.Encoding.UTF8.GetBytes(text.Replace(expires, later, StringComparison.Ordinal));
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.LengthOrHashMismatch, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Malicious_mirror_edited_targets_fails_the_signature()
    {
        var repo = RepositoryWithFirmware();
        var json = JsonNode.Parse(repo.Metadata["2.targets.json"])!;
        json["signed"]!["targets"]!["fw/robot.img"]!["length"] = 3;
        repo.Metadata["2.targets.json"] = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.ThresholdNotMet, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Malicious_mirror_garbage_metadata_is_refused_as_malformed()
    {
        var repo = RepositoryWithFirmware();
        repo.Metadata["timestamp.json"] = "{\"signed\": 1"u8.ToArray();
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.Malformed, () => device.Updater.RefreshAsync());
    }

    // ---- mix-and-match -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Mix_and_match_old_snapshot_served_under_the_current_name_is_refused()
    {
        var repo = RepositoryWithFirmware();
        var oldSnapshot = repo.Metadata["1.snapshot.json"];
        repo.Metadata["2.snapshot.json"] = oldSnapshot;
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.LengthOrHashMismatch, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Mix_and_match_old_targets_served_under_the_current_name_is_refused()
    {
        var repo = RepositoryWithFirmware();
        repo.Metadata["2.targets.json"] = repo.Metadata["1.targets.json"];
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.VersionMismatch, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Mix_and_match_one_role_served_as_another_is_refused_by_type()
    {
        var repo = RepositoryWithFirmware();
        repo.Metadata["2.targets.json"] = repo.Metadata["2.snapshot.json"];
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.Malformed, () => device.Updater.RefreshAsync());
    }

    // ---- rollback ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Rollback_to_an_older_validly_signed_timestamp_is_refused()
    {
        var repo = RepositoryWithFirmware();
        var oldTimestamp = repo.Metadata["timestamp.json"];
        repo.AddTarget("fw/robot.img", [9, 9], 2);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        repo.Metadata["timestamp.json"] = oldTimestamp;
        await Refused(TufTrustFailure.Rollback, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Rollback_is_refused_even_when_the_cached_timestamp_has_expired()
    {
        var repo = RepositoryWithFirmware();
        var oldTimestamp = repo.Metadata["timestamp.json"];
        repo.Builder.RefreshTimestamp(Start);
        repo.Sync();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        // Days later the cached timestamp has expired, yet it still sets the floor the older one falls below.
        device.Clock.Now = Start.AddDays(3);
        repo.Metadata["timestamp.json"] = oldTimestamp;
        await Refused(TufTrustFailure.Rollback, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Rollback_of_targets_through_a_new_snapshot_naming_an_old_version_is_refused()
    {
        var repo = RepositoryWithFirmware();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        // Compromised snapshot and timestamp keys try to point the device back at targets version 1.
        var snapshot = repo.Builder.Snapshot!.Signed with
        {
            Version = 10,
            Meta = new Dictionary<string, MetaFileInfo> { ["targets.json"] = new() { Version = 1 } },
        };
        var snapshotBytes = Sign(snapshot, repo.Signers[TufRoles.Snapshot]);
        repo.Metadata["10.snapshot.json"] = snapshotBytes;
        repo.Metadata["timestamp.json"] = Sign(repo.Builder.Timestamp!.Signed with
        {
            Version = 10,
            SnapshotMeta = new MetaFileInfo { Version = 10, Length = snapshotBytes.Length },
        }, repo.Signers[TufRoles.Timestamp]);
        await Refused(TufTrustFailure.Rollback, () => device.Updater.RefreshAsync());
    }

    [Fact]
    public async Task Rollback_to_a_validly_signed_release_with_a_lower_security_version_is_refused()
    {
        var repo = RepositoryWithFirmware(securityVersion: 7);
        using var device = new SimulatedDevice(repo);
        await device.UpdateAsync("fw/robot.img");
        // The release process (or a compromised targets key) publishes the old vulnerable build again, properly signed.
        repo.AddTarget("fw/robot.img", [1, 1, 1], securityVersion: 6);
        repo.Publish();
        await Refused(TufTrustFailure.SecurityVersionRollback, () => device.UpdateAsync("fw/robot.img"));
        Assert.Equal(7, device.Store.InstalledSecurityVersion);
    }

    // ---- key compromise below threshold ------------------------------------------------------------------------

    [Fact]
    public async Task One_compromised_key_of_a_two_of_three_targets_role_cannot_sign_targets()
    {
        var repo = RepositoryWithFirmware();
        var targetsKeys = new[] { Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate() };
        repo.Builder.SetSigners(TufRoles.Targets, targetsKeys);
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Targets, new(targetsKeys.Select(k => k.PublicKey).ToList(), 2)), [repo.Signers[TufRoles.Root]], Start);
        repo.Builder.AddTarget("fw/robot.img", repo.Builder.DraftTargets().Targets["fw/robot.img"]);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.UpdateAsync("fw/robot.img");

        var genuine = repo.Builder.TargetsRoles[TufRoles.Targets].Signed;
        var forged = genuine with
        {
            Version = genuine.Version + 1,
            Targets = new Dictionary<string, TargetFileInfo> { ["fw/robot.img"] = TargetFileInfo.FromContent([6, 6, 6]) },
        };
        // The attacker holds targets key 0 and also the online snapshot and timestamp keys.
        repo.Metadata[$"{forged.Version}.targets.json"] = Sign(forged, targetsKeys[0]);
        var snapshot = repo.Builder.Snapshot!.Signed with
        {
            Version = 50, Meta = new Dictionary<string, MetaFileInfo> { ["targets.json"] = new() { Version = forged.Version } },
        };
        repo.Metadata["50.snapshot.json"] = Sign(snapshot, repo.Signers[TufRoles.Snapshot]);
        repo.Metadata["timestamp.json"] = Sign(repo.Builder.Timestamp!.Signed with
        {
            Version = 50, SnapshotMeta = new MetaFileInfo { Version = 50 },
        }, repo.Signers[TufRoles.Timestamp]);
        var e = await Refused(TufTrustFailure.ThresholdNotMet, () => device.Updater.RefreshAsync());
        Assert.Contains("1 valid signature(s) of 2", e.Message);
    }

    [Fact]
    public async Task One_compromised_root_key_of_two_cannot_rotate_root()
    {
        var repo = new SimulatedTufRepository();
        var rootKeys = new[] { Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate() };
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new(rootKeys.Select(k => k.PublicKey).ToList(), 2)),
            [repo.Signers[TufRoles.Root], .. rootKeys], Start);
        repo.Sync();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();

        var attackerKey = Ed25519TufSigner.Generate();
        var hostile = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Root, new([attackerKey.PublicKey], 1)), Start);
        repo.Metadata["3.root.json"] = Sign(hostile, rootKeys[0], attackerKey);
        var e = await Refused(TufTrustFailure.ThresholdNotMet, () => device.Updater.RefreshAsync());
        Assert.Contains("trusted root", e.Message);
        Assert.Equal(2, SignedMetadata<RootMetadata>.Parse(device.Store.Read(TufRoles.Root)).Signed.Version);
    }

    // ---- wrong software ----------------------------------------------------------------------------------------

    [Fact]
    public async Task Wrong_software_another_valid_target_served_in_place_of_the_requested_one_is_refused()
    {
        var repo = new SimulatedTufRepository();
        var robot = repo.AddTarget("fw/robot.img", Firmware, 1);
        repo.AddTarget("fw/camera.img", [5, 5, 5], 1);
        repo.Publish();
        // The mirror answers the robot image's name with the (genuine, signed) camera image.
        foreach (var name in robot.RepositoryPaths("fw/robot.img", true)) repo.Targets[name] = [5, 5, 5];
        using var device = new SimulatedDevice(repo);
        await Refused(TufTrustFailure.LengthOrHashMismatch, () => device.UpdateAsync("fw/robot.img"));
    }
}
