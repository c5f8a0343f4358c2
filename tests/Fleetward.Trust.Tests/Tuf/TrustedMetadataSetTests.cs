using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

/// <summary>One test per rule of the TUF client workflow (spec 5.2-5.6) that TrustedMetadataSet decides.</summary>
public class TrustedMetadataSetTests
{
    private static readonly DateTimeOffset Start = TufTestRepository.Start;

    private static TufTrustException Refused(TufTrustFailure reason, Action action)
    {
        var e = Assert.Throws<TufTrustException>(action);
        Assert.Equal(reason, e.Reason);
        return e;
    }

    // ---- 5.2 trusted root --------------------------------------------------------------------------------------

    [Fact]
    public void Spec_5_2_initial_root_must_be_signed_by_its_own_threshold()
    {
        var repo = new TufTestRepository();
        var unsigned = SignedMetadata<RootMetadata>.Create(repo.Builder.Root.Signed, [Ed25519TufSigner.Generate()]).ToBytes();
        Refused(TufTrustFailure.ThresholdNotMet, () => new TrustedMetadataSet(unsigned, Start));
    }

    // ---- 5.3 root rotation -------------------------------------------------------------------------------------

    [Fact]
    public void Spec_5_3_4_new_root_must_be_signed_by_the_trusted_root_threshold()
    {
        var repo = new TufTestRepository();
        var newRootKey = Ed25519TufSigner.Generate();
        var next = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Root, new([newRootKey.PublicKey], 1)), Start);
        var e = Refused(TufTrustFailure.ThresholdNotMet, () => repo.NewTrustedSet().UpdateRoot(TufTestRepository.Sign(next, newRootKey)));
        Assert.Contains("trusted root", e.Message);
    }

    [Fact]
    public void Spec_5_3_4_new_root_must_be_signed_by_its_own_threshold()
    {
        var repo = new TufTestRepository();
        var newRootKey = Ed25519TufSigner.Generate();
        var next = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Root, new([newRootKey.PublicKey], 1)), Start);
        var e = Refused(TufTrustFailure.ThresholdNotMet, () => repo.NewTrustedSet().UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root])));
        Assert.Contains("new root", e.Message);
    }

    [Fact]
    public void Spec_5_3_4_rotation_signed_by_old_and_new_keys_is_accepted()
    {
        var repo = new TufTestRepository();
        var newRootKey = Ed25519TufSigner.Generate();
        var next = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Root, new([newRootKey.PublicKey], 1)), Start);
        var set = repo.NewTrustedSet();
        set.UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root], newRootKey));
        Assert.Equal(2, set.Root.Signed.Version);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Spec_5_3_5_new_root_must_be_exactly_one_version_newer(long version)
    {
        var repo = new TufTestRepository();
        var next = repo.Builder.Root.Signed with { Version = version };
        Refused(TufTrustFailure.VersionMismatch, () => repo.NewTrustedSet().UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root])));
    }

    [Fact]
    public void Spec_5_3_intermediate_root_may_be_expired()
    {
        var repo = new TufTestRepository();
        var expired = repo.Builder.Root.Signed with { Version = 2, Expires = Start.AddDays(-1) };
        var set = repo.NewTrustedSet();
        set.UpdateRoot(TufTestRepository.Sign(expired, repo.Signers[TufRoles.Root]));
        Assert.Equal(2, set.Root.Signed.Version);
    }

    [Fact]
    public void Spec_5_3_10_final_root_must_not_be_expired()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet(Start.AddYears(2));
        var e = Refused(TufTrustFailure.Expired, () => set.UpdateTimestamp(repo.Timestamp));
        Assert.Equal(TufRoles.Root, e.Role);
    }

    [Fact]
    public void Spec_5_3_11_rotating_timestamp_keys_is_reported_so_cached_timestamp_and_snapshot_are_deleted()
    {
        var repo = new TufTestRepository();
        var newTimestampKey = Ed25519TufSigner.Generate();
        var next = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Timestamp, new([newTimestampKey.PublicKey], 1)), Start);
        var set = repo.NewTrustedSet();
        Assert.False(set.TimestampOrSnapshotKeysRotated);
        set.UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root]));
        Assert.True(set.TimestampOrSnapshotKeysRotated);
    }

    [Fact]
    public void Spec_5_3_11_rotating_only_targets_keys_keeps_cached_timestamp()
    {
        var repo = new TufTestRepository();
        var next = repo.Builder.ProposeRoot(r => r.WithRole(TufRoles.Targets, new([Ed25519TufSigner.Generate().PublicKey], 1)), Start);
        var set = repo.NewTrustedSet();
        set.UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root]));
        Assert.False(set.TimestampOrSnapshotKeysRotated);
    }

    [Fact]
    public void Root_cannot_change_once_timestamp_is_trusted()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var next = repo.Builder.Root.Signed with { Version = 2 };
        Refused(TufTrustFailure.WorkflowViolation, () => set.UpdateRoot(TufTestRepository.Sign(next, repo.Signers[TufRoles.Root])));
    }

    // ---- 5.4 timestamp -----------------------------------------------------------------------------------------

    [Fact]
    public void Spec_5_4_2_timestamp_must_be_signed_by_the_timestamp_threshold()
    {
        var repo = new TufTestRepository();
        var forged = TufTestRepository.Sign(repo.Builder.Timestamp!.Signed, repo.Signers[TufRoles.Snapshot]);
        Refused(TufTrustFailure.ThresholdNotMet, () => repo.NewTrustedSet().UpdateTimestamp(forged));
    }

    [Fact]
    public void Spec_5_4_3_1_timestamp_version_must_not_go_backwards()
    {
        var repo = new TufTestRepository();
        var old = repo.Timestamp;
        repo.Builder.RefreshTimestamp(Start);
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        Refused(TufTrustFailure.Rollback, () => set.UpdateTimestamp(old));
    }

    [Fact]
    public void Spec_5_4_3_2_snapshot_version_named_by_timestamp_must_not_go_backwards()
    {
        var repo = new TufTestRepository();
        repo.Builder.RefreshSnapshot(Start);
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var current = repo.Builder.Timestamp!.Signed;
        var backwards = current with { Version = current.Version + 1, SnapshotMeta = current.SnapshotMeta with { Version = 1 } };
        Refused(TufTrustFailure.Rollback, () => set.UpdateTimestamp(TufTestRepository.Sign(backwards, repo.Signers[TufRoles.Timestamp])));
    }

    [Fact]
    public void Spec_5_4_3_equal_timestamp_version_keeps_the_trusted_copy()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        var first = set.UpdateTimestamp(repo.Timestamp);
        Assert.Same(first, set.UpdateTimestamp(repo.Timestamp));
    }

    [Fact]
    public void Spec_5_4_4_expired_timestamp_is_refused()
    {
        var repo = new TufTestRepository();
        var e = Refused(TufTrustFailure.Expired, () => repo.NewTrustedSet(Start.AddDays(2)).UpdateTimestamp(repo.Timestamp));
        Assert.Equal(TufRoles.Timestamp, e.Role);
    }

    [Fact]
    public void Spec_5_4_4_expired_timestamp_is_stored_first_and_still_guards_against_rollback()
    {
        var repo = new TufTestRepository();
        var old = repo.Timestamp;
        repo.Builder.RefreshTimestamp(Start);
        var set = repo.NewTrustedSet(Start.AddDays(2));
        Refused(TufTrustFailure.Expired, () => set.UpdateTimestamp(repo.Timestamp));
        Assert.Equal(2, set.Timestamp!.Signed.Version);
        Refused(TufTrustFailure.Rollback, () => set.UpdateTimestamp(old));
    }

    // ---- 5.5 snapshot ------------------------------------------------------------------------------------------

    [Fact]
    public void Snapshot_needs_a_trusted_timestamp_first()
    {
        var repo = new TufTestRepository();
        Refused(TufTrustFailure.WorkflowViolation, () => repo.NewTrustedSet().UpdateSnapshot(repo.Snapshot));
    }

    [Fact]
    public void Spec_5_5_2_snapshot_must_match_the_hashes_timestamp_names()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var same = repo.Builder.Snapshot!.Signed;
        var other = TufTestRepository.Sign(same with { Expires = same.Expires.AddSeconds(1) }, repo.Signers[TufRoles.Snapshot]);
        Refused(TufTrustFailure.LengthOrHashMismatch, () => set.UpdateSnapshot(other));
    }

    [Fact]
    public void Spec_5_5_2_cached_snapshot_skips_the_hash_check_but_not_the_version_check()
    {
        var repo = new TufTestRepository();
        var cached = repo.Snapshot;
        repo.Builder.RefreshSnapshot(Start);
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        Refused(TufTrustFailure.VersionMismatch, () => set.UpdateSnapshot(cached, fromLocalCache: true));
        Assert.Equal(1, set.Snapshot!.Signed.Version);
    }

    [Fact]
    public void Spec_5_5_3_snapshot_must_be_signed_by_the_snapshot_threshold()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var forged = TufTestRepository.Sign(repo.Builder.Snapshot!.Signed, repo.Signers[TufRoles.Timestamp]);
        Refused(TufTrustFailure.ThresholdNotMet, () => set.UpdateSnapshot(forged, fromLocalCache: true));
    }

    [Fact]
    public void Spec_5_5_4_snapshot_version_must_equal_the_one_timestamp_names()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var wrong = TufTestRepository.Sign(repo.Builder.Snapshot!.Signed with { Version = 5 }, repo.Signers[TufRoles.Snapshot]);
        Refused(TufTrustFailure.VersionMismatch, () => set.UpdateSnapshot(wrong, fromLocalCache: true));
    }

    [Fact]
    public void Spec_5_5_5_targets_versions_in_snapshot_must_not_go_backwards()
    {
        var repo = new TufTestRepository();
        var oldSnapshot = repo.Builder.Snapshot!.Signed;
        repo.PublishTarget("a.bin", [1]);
        var set = repo.LoadedThroughSnapshot();
        // A validly signed newer snapshot that names the older targets version.
        var rolledBack = TufTestRepository.Sign(oldSnapshot with { Version = 10 }, repo.Signers[TufRoles.Snapshot]);
        var e = Refused(TufTrustFailure.Rollback, () => set.UpdateSnapshot(rolledBack, fromLocalCache: true));
        Assert.Contains("targets.json", e.Message);
    }

    [Fact]
    public void Spec_5_5_5_targets_roles_must_not_disappear_from_snapshot()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        var empty = repo.Builder.Snapshot!.Signed with { Meta = new Dictionary<string, MetaFileInfo>() };
        var e = Refused(TufTrustFailure.Rollback, () => set.UpdateSnapshot(TufTestRepository.Sign(empty, repo.Signers[TufRoles.Snapshot]), fromLocalCache: true));
        Assert.Contains("targets.json", e.Message);
    }

    [Fact]
    public void Spec_5_5_6_expired_snapshot_is_refused()
    {
        var repo = new TufTestRepository();
        var snapshot = repo.Builder.Snapshot!.Signed;
        var expired = TufTestRepository.Sign(snapshot with { Expires = Start.AddSeconds(-1) }, repo.Signers[TufRoles.Snapshot]);
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var e = Refused(TufTrustFailure.Expired, () => set.UpdateSnapshot(expired, fromLocalCache: true));
        Assert.Equal(TufRoles.Snapshot, e.Role);
        Assert.NotNull(set.Snapshot);
    }

    [Fact]
    public void Snapshot_cannot_change_once_targets_are_trusted()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        set.UpdateTargets(repo.Targets);
        Refused(TufTrustFailure.WorkflowViolation, () => set.UpdateSnapshot(repo.Snapshot));
    }

    [Fact]
    public void Mixing_roles_is_refused_by_type()
    {
        var repo = new TufTestRepository();
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        var e = Refused(TufTrustFailure.Malformed, () => set.UpdateSnapshot(repo.Timestamp, fromLocalCache: true));
        Assert.Contains("_type", e.Message);
    }

    // ---- 5.6 targets -------------------------------------------------------------------------------------------

    [Fact]
    public void Spec_5_6_1_targets_role_must_be_listed_in_snapshot()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        Refused(TufTrustFailure.WorkflowViolation, () => set.UpdateDelegatedTargets(repo.Targets, "unlisted", TufRoles.Targets));
    }

    [Fact]
    public void Spec_5_6_2_targets_must_match_hashes_snapshot_names()
    {
        var repo = new TufTestRepository();
        var snapshot = repo.Builder.Snapshot!.Signed;
        var withHashes = snapshot with
        {
            Meta = new Dictionary<string, MetaFileInfo>
            {
                ["targets.json"] = new() { Version = 1, Length = 3, Hashes = new Dictionary<string, string> { ["sha256"] = new string('0', 64) } },
            },
        };
        var snapshotBytes = TufTestRepository.Sign(withHashes, repo.Signers[TufRoles.Snapshot]);
        var set = repo.NewTrustedSet();
        set.UpdateTimestamp(repo.Timestamp);
        set.UpdateSnapshot(snapshotBytes, fromLocalCache: true);
        Refused(TufTrustFailure.LengthOrHashMismatch, () => set.UpdateTargets(repo.Targets));
    }

    [Fact]
    public void Spec_5_6_3_targets_must_be_signed_by_the_targets_threshold()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        var forged = TufTestRepository.Sign(repo.Builder.TargetsRoles[TufRoles.Targets].Signed, repo.Signers[TufRoles.Snapshot]);
        Refused(TufTrustFailure.ThresholdNotMet, () => set.UpdateTargets(forged));
    }

    [Fact]
    public void Spec_5_6_4_targets_version_must_equal_the_one_snapshot_names()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        var wrong = TufTestRepository.Sign(repo.Builder.TargetsRoles[TufRoles.Targets].Signed with { Version = 2 }, repo.Signers[TufRoles.Targets]);
        Refused(TufTrustFailure.VersionMismatch, () => set.UpdateTargets(wrong));
    }

    [Fact]
    public void Spec_5_6_5_expired_targets_are_refused()
    {
        var repo = new TufTestRepository();
        var set = repo.LoadedThroughSnapshot();
        var expired = TufTestRepository.Sign(repo.Builder.TargetsRoles[TufRoles.Targets].Signed with { Expires = Start }, repo.Signers[TufRoles.Targets]);
        Refused(TufTrustFailure.Expired, () => set.UpdateTargets(expired));
    }

    [Fact]
    public void Spec_5_6_targets_need_a_current_snapshot()
    {
        var repo = new TufTestRepository();
        Refused(TufTrustFailure.WorkflowViolation, () => repo.NewTrustedSet().UpdateTargets(repo.Targets));
    }

    [Fact]
    public void Spec_5_6_7_delegated_role_must_be_signed_by_the_keys_its_delegator_names()
    {
        var repo = new TufTestRepository();
        var securityKey = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets,
            new DelegatedRole { Name = "security", Keys = new TufRoleKeys([securityKey.PublicKey.KeyId], 1), Paths = ["security/*"], Terminating = true },
            [securityKey.PublicKey], [securityKey]);
        repo.Builder.Publish(Start);
        var set = repo.LoadedThroughSnapshot();
        set.UpdateTargets(repo.Targets);
        var delegated = repo.Builder.TargetsRoles["security"];
        var byTargetsKey = TufTestRepository.Sign(delegated.Signed, repo.Signers[TufRoles.Targets]);
        Refused(TufTrustFailure.ThresholdNotMet, () => set.UpdateDelegatedTargets(byTargetsKey, "security", TufRoles.Targets));
        set.UpdateDelegatedTargets(delegated.ToBytes(), "security", TufRoles.Targets);
        Assert.NotNull(set.GetTargets("security"));
    }

    [Fact]
    public void Spec_5_6_7_delegated_role_needs_its_delegator_loaded()
    {
        var repo = new TufTestRepository();
        var key = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets, new DelegatedRole { Name = "security", Keys = new([key.PublicKey.KeyId], 1), Paths = ["*"] }, [key.PublicKey], [key]);
        repo.Builder.Publish(Start);
        var set = repo.LoadedThroughSnapshot();
        Refused(TufTrustFailure.WorkflowViolation, () => set.UpdateDelegatedTargets(repo.Builder.TargetsRoles["security"].ToBytes(), "security", TufRoles.Targets));
    }
}
