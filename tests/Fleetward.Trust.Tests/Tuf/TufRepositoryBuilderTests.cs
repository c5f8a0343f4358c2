using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

public class TufRepositoryBuilderTests
{
    private static readonly DateTimeOffset Start = TufTestRepository.Start;

    [Fact]
    public void Initialize_publishes_version_one_of_every_role_under_consistent_names()
    {
        var repo = new TufTestRepository();
        Assert.Equal(["1.root.json", "1.snapshot.json", "1.targets.json", "root.json", "timestamp.json"],
            repo.Builder.MetadataFiles.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_consistent_snapshots_files_are_unversioned()
    {
        var repo = new TufTestRepository(consistentSnapshot: false);
        Assert.Contains("snapshot.json", repo.Builder.MetadataFiles.Keys);
        Assert.Contains("targets.json", repo.Builder.MetadataFiles.Keys);
    }

    [Fact]
    public void Published_repository_passes_the_client_workflow()
    {
        var repo = new TufTestRepository();
        repo.PublishTarget("fw/app.bin", [1, 2, 3]);
        var set = repo.LoadedThroughSnapshot();
        var targets = set.UpdateTargets(repo.Targets);
        Assert.Equal(3, targets.Signed.Targets["fw/app.bin"].Length);
    }

    [Fact]
    public void Publish_bumps_only_changed_targets_roles_then_snapshot_and_timestamp()
    {
        var repo = new TufTestRepository();
        var key = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets, new DelegatedRole { Name = "security", Keys = new([key.PublicKey.KeyId], 1), Paths = ["*"] }, [key.PublicKey], [key]);
        repo.Builder.Publish(Start);
        repo.Builder.AddTarget("s.bin", TargetFileInfo.FromContent([9]), "security");
        repo.Builder.Publish(Start);
        Assert.Equal(2, repo.Builder.TargetsRoles[TufRoles.Targets].Signed.Version);
        Assert.Equal(2, repo.Builder.TargetsRoles["security"].Signed.Version);
        Assert.Equal(3, repo.Builder.Snapshot!.Signed.Version);
        Assert.Equal(3, repo.Builder.Timestamp!.Signed.Version);
        Assert.Equal(2, repo.Builder.Snapshot.Signed.ForRole("security")!.Version);
    }

    [Fact]
    public void Timestamp_names_snapshot_length_and_hash()
    {
        var repo = new TufTestRepository();
        var meta = repo.Builder.Timestamp!.Signed.SnapshotMeta;
        Assert.Equal(repo.Snapshot.Length, meta.Length);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(repo.Snapshot)), meta.Hashes!["sha256"]);
    }

    [Fact]
    public void Root_rotation_is_signed_by_old_and_new_thresholds_and_served_as_next_version()
    {
        var repo = new TufTestRepository();
        var newRoot = new[] { Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate() };
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new(newRoot.Select(s => s.PublicKey).ToList(), 2)),
            [repo.Signers[TufRoles.Root], .. newRoot], Start);
        var root2 = repo.Builder.MetadataFiles["2.root.json"];
        Assert.Equal(3, SignedMetadata<RootMetadata>.Parse(root2).Signatures.Count);
        repo.NewTrustedSet().UpdateRoot(root2);
    }

    [Fact]
    public void Root_rotation_without_the_old_threshold_is_refused()
    {
        var repo = new TufTestRepository();
        var newRoot = Ed25519TufSigner.Generate();
        Assert.Throws<TufTrustException>(() =>
            repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new([newRoot.PublicKey], 1)), [newRoot], Start));
        Assert.Equal(1, repo.Builder.Root.Signed.Version);
    }

    [Fact]
    public void Rotating_the_timestamp_key_re_signs_with_the_new_key_at_once()
    {
        var repo = new TufTestRepository();
        var newTimestamp = Ed25519TufSigner.Generate();
        repo.Builder.SetSigners(TufRoles.Timestamp, [newTimestamp]);
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Timestamp, new([newTimestamp.PublicKey], 1)), [repo.Signers[TufRoles.Root]], Start);
        Assert.Equal(newTimestamp.PublicKey.KeyId, repo.Builder.Timestamp!.Signatures.Single().KeyId);
        Assert.DoesNotContain(repo.Signers[TufRoles.Timestamp].PublicKey.KeyId, repo.Builder.Root.Signed.Keys.Keys);
    }

    [Fact]
    public void Externally_signed_targets_are_accepted_only_with_the_targets_threshold()
    {
        var repo = new TufTestRepository();
        var next = repo.Builder.DraftTargets() with { Version = 2 };
        Assert.Throws<TufTrustException>(() => repo.Builder.AcceptSignedTargets(TufRoles.Targets,
            SignedMetadata<TargetsMetadata>.Create(next, [Ed25519TufSigner.Generate()]), Start));
        repo.Builder.AcceptSignedTargets(TufRoles.Targets, SignedMetadata<TargetsMetadata>.Create(next, [repo.Signers[TufRoles.Targets]]), Start);
        Assert.Equal(2, repo.Builder.Snapshot!.Signed.ForRole(TufRoles.Targets)!.Version);
    }

    [Fact]
    public void Publishing_a_role_without_signers_fails_naming_it()
    {
        var repo = new TufTestRepository();
        var key = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets, new DelegatedRole { Name = "nosigner", Keys = new([key.PublicKey.KeyId], 1), Paths = ["*"] }, [key.PublicKey]);
        var e = Assert.Throws<InvalidOperationException>(() => repo.Builder.Publish(Start));
        Assert.Contains("nosigner", e.Message);
    }

    [Fact]
    public void Consistent_target_names_prefix_each_hash_to_the_file_name()
    {
        var info = TargetFileInfo.FromContent([1]);
        var names = info.RepositoryPaths("fw/app.bin", consistentSnapshot: true);
        Assert.Equal($"fw/{info.Hashes["sha256"]}.app.bin", names[0]);
        Assert.Equal(2, names.Count);
        Assert.Equal(["fw/app.bin"], info.RepositoryPaths("fw/app.bin", consistentSnapshot: false));
    }
}

public class TufRepositoryBuilderRestoreTests
{
    [Fact]
    public void Restored_builder_continues_versions_where_the_stored_repository_left_off()
    {
        var repo = new TufTestRepository();
        repo.Builder.RotateRoot(r => r, [repo.Signers[TufRoles.Root]], TufTestRepository.Start);
        repo.PublishTarget("a.bin", [1]);
        var restored = TufRepositoryBuilder.Restore(repo.Builder.RootHistory, repo.Builder.TargetsRoles,
            repo.Builder.Snapshot!, repo.Builder.Timestamp!, TufTestRepository.Start);
        foreach (var (role, signer) in repo.Signers) restored.SetSigners(role, [signer]);
        restored.AddTarget("b.bin", TargetFileInfo.FromContent([2]));
        restored.Publish(TufTestRepository.Start);
        Assert.Equal(repo.Builder.Timestamp!.Signed.Version + 1, restored.Timestamp!.Signed.Version);
        Assert.Equal(2, restored.Root.Signed.Version);
        var set = new TrustedMetadataSet(repo.InitialRoot, TufTestRepository.Start);
        set.UpdateRoot(restored.MetadataFiles["2.root.json"]);
        set.UpdateTimestamp(restored.Timestamp.ToBytes());
        set.UpdateSnapshot(restored.Snapshot!.ToBytes());
        Assert.Equal(2, set.UpdateTargets(restored.TargetsRoles[TufRoles.Targets].ToBytes()).Signed.Targets.Count);
    }

    [Fact]
    public void Restore_refuses_a_root_history_with_a_forged_link()
    {
        var repo = new TufTestRepository();
        var forged = SignedMetadata<RootMetadata>.Create(repo.Builder.ProposeRoot(r => r, TufTestRepository.Start), [Fleetward.Trust.Crypto.Ed25519TufSigner.Generate()]);
        Assert.Throws<TufTrustException>(() => TufRepositoryBuilder.Restore([repo.Builder.Root, forged], repo.Builder.TargetsRoles,
            repo.Builder.Snapshot!, repo.Builder.Timestamp!, TufTestRepository.Start));
    }
}

public class TufSigningCeremonyTests
{
    [Fact]
    public void Root_signed_separately_by_two_holders_merges_to_meet_a_two_of_two_threshold()
    {
        var holders = new[] { Fleetward.Trust.Crypto.Ed25519TufSigner.Generate(), Fleetward.Trust.Crypto.Ed25519TufSigner.Generate() };
        var assignment = new TufRoleAssignment(holders.Select(h => h.PublicKey).ToList(), 2);
        var root = RootMetadata.Create(TufRoles.TopLevel.ToDictionary(r => r, _ => assignment), TufTestRepository.Start.AddDays(365));
        var unsigned = SignedMetadata<RootMetadata>.Create(root, []).ToBytes();
        var byFirst = SignedMetadata<RootMetadata>.Parse(unsigned).AddSignatures([holders[0]]);
        var bySecond = SignedMetadata<RootMetadata>.Parse(unsigned).AddSignatures([holders[1]]);
        Assert.False(byFirst.VerifyThreshold(root.RoleKeys(TufRoles.Root), root.Keys).IsMet);
        var merged = byFirst.MergeSignatures(bySecond);
        Assert.True(merged.VerifyThreshold(root.RoleKeys(TufRoles.Root), root.Keys).IsMet);
        _ = new TrustedMetadataSet(merged.ToBytes(), TufTestRepository.Start);
    }

    [Fact]
    public void Merging_signatures_over_different_content_is_refused()
    {
        var repo = new TufTestRepository();
        var other = SignedMetadata<RootMetadata>.Create(repo.Builder.Root.Signed with { Version = 2 }, [repo.Signers[TufRoles.Root]]);
        Assert.Throws<ArgumentException>(() => repo.Builder.Root.MergeSignatures(other));
    }

    [Fact]
    public async Task Streamed_target_description_equals_the_buffered_one()
    {
        var content = new byte[200_000];
        Random.Shared.NextBytes(content);
        var streamed = await TargetFileInfo.FromStreamAsync(new MemoryStream(content));
        var buffered = TargetFileInfo.FromContent(content);
        Assert.Equal(buffered.Length, streamed.Length);
        Assert.Equal(buffered.Hashes, streamed.Hashes);
    }
}
