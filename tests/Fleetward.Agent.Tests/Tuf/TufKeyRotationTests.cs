using Fleetward.Agent.Tuf;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Tuf;

/// <summary>Key rotation paths a deployed device must follow (TUF spec 5.3 root rotation, 5.3.11, delegated keys).</summary>
public class TufKeyRotationTests
{
    private static readonly DateTimeOffset Start = SimulatedTufRepository.Start;

    private static SimulatedTufRepository Repository()
    {
        var repo = new SimulatedTufRepository();
        repo.AddTarget("fw/robot.img", [1, 2, 3], 1);
        repo.Publish();
        return repo;
    }

    private static long RootVersion(SimulatedDevice device) =>
        SignedMetadata<RootMetadata>.Parse(device.Store.Read(TufRoles.Root)).Signed.Version;

    [Fact]
    public async Task Device_follows_several_root_rotations_in_one_refresh()
    {
        var repo = Repository();
        using var device = new SimulatedDevice(repo);
        var signers = new List<ITufSigner> { repo.Signers[TufRoles.Root] };
        for (var i = 0; i < 3; i++)
        {
            var next = Ed25519TufSigner.Generate();
            repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new([next.PublicKey], 1)), [signers[^1], next], Start);
            signers.Add(next);
        }
        repo.Sync();
        var trusted = await device.Updater.RefreshAsync();
        Assert.Equal(4, trusted.Root.Signed.Version);
        Assert.Equal(4, RootVersion(device));
    }

    [Fact]
    public async Task Rotation_loop_stops_at_the_maximum_and_continues_next_refresh()
    {
        var repo = Repository();
        for (var i = 0; i < 3; i++) repo.Builder.RotateRoot(r => r, [repo.Signers[TufRoles.Root]], Start);
        repo.Sync();
        using var device = new SimulatedDevice(repo, new TufUpdaterOptions { MaxRootRotations = 2 });
        await device.Updater.RefreshAsync();
        Assert.Equal(3, RootVersion(device));
        Assert.DoesNotContain("4.root.json", repo.Requests);
        await device.Updater.RefreshAsync();
        Assert.Equal(4, RootVersion(device));
    }

    [Fact]
    public async Task Expired_intermediate_root_does_not_block_reaching_a_valid_final_root()
    {
        var repo = Repository();
        var expired = SignedMetadata<RootMetadata>.Create(repo.Builder.ProposeRoot(r => r, Start) with { Expires = Start.AddDays(-1) },
            [repo.Signers[TufRoles.Root]]);
        repo.Builder.AcceptRoot(expired, Start.AddDays(-2));
        repo.Builder.RotateRoot(r => r, [repo.Signers[TufRoles.Root]], Start);
        repo.Sync();
        using var device = new SimulatedDevice(repo);
        Assert.Equal(3, (await device.Updater.RefreshAsync()).Root.Signed.Version);
    }

    [Fact]
    public async Task Root_threshold_can_grow_with_old_and_new_thresholds_signing()
    {
        var repo = Repository();
        var newRoot = new[] { EcdsaTufSigner.Generate(), (ITufSigner)Ed25519TufSigner.Generate() };
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new(newRoot.Select(k => k.PublicKey).ToList(), 2)),
            [repo.Signers[TufRoles.Root], .. newRoot], Start);
        repo.Builder.RotateRoot(r => r, newRoot, Start);
        repo.Sync();
        using var device = new SimulatedDevice(repo);
        Assert.Equal(3, (await device.Updater.RefreshAsync()).Root.Signed.Version);
    }

    [Fact]
    public async Task After_targets_key_rotation_only_the_new_key_is_trusted()
    {
        var repo = Repository();
        using var device = new SimulatedDevice(repo);
        await device.UpdateAsync("fw/robot.img");
        var oldTargetsKey = repo.Signers[TufRoles.Targets];
        var newTargetsKey = EcdsaTufSigner.Generate();
        repo.Builder.SetSigners(TufRoles.Targets, [newTargetsKey]);
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Targets, new([newTargetsKey.PublicKey], 1)), [repo.Signers[TufRoles.Root]], Start);
        repo.AddTarget("fw/robot.img", [4, 5, 6], 2);
        repo.Publish();
        Assert.Equal([4, 5, 6], await device.UpdateAsync("fw/robot.img"));

        // The retired key signs a further release; the mirror serves it where the device will look.
        var current = repo.Builder.TargetsRoles[TufRoles.Targets].Signed;
        repo.Metadata[$"{current.Version}.targets.json"] = SignedMetadata<TargetsMetadata>.Create(current, [oldTargetsKey]).ToBytes();
        device.Store.Delete(TufRoles.Targets);
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.RefreshAsync());
        Assert.Equal(TufTrustFailure.ThresholdNotMet, e.Reason);
    }

    [Fact]
    public async Task Snapshot_key_rotation_discards_the_cached_snapshot()
    {
        var repo = Repository();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        var newSnapshotKey = Ed25519TufSigner.Generate();
        repo.Builder.SetSigners(TufRoles.Snapshot, [newSnapshotKey]);
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Snapshot, new([newSnapshotKey.PublicKey], 1)), [repo.Signers[TufRoles.Root]], Start);
        repo.Sync();
        var trusted = await device.Updater.RefreshAsync();
        Assert.Equal(newSnapshotKey.PublicKey.KeyId, trusted.Snapshot!.Signatures.Single().KeyId);
        Assert.Equal(repo.Builder.Snapshot!.ToBytes(), device.Store.Read(TufRoles.Snapshot));
    }

    [Fact]
    public async Task Delegated_key_rotation_by_the_delegator_retires_the_old_delegated_key()
    {
        var repo = new SimulatedTufRepository();
        var oldKey = Ed25519TufSigner.Generate();
        var delegation = new DelegatedRole { Name = "security", Keys = new([oldKey.PublicKey.KeyId], 1), Paths = ["security/*"] };
        repo.Builder.Delegate(TufRoles.Targets, delegation, [oldKey.PublicKey], [oldKey]);
        repo.AddTarget("security/patch.bin", [1], 1, role: "security");
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.UpdateAsync("security/patch.bin");

        var newKey = Ed25519TufSigner.Generate();
        repo.Builder.EditTargets(TufRoles.Targets, t => t with { Delegations = null });
        repo.Builder.Delegate(TufRoles.Targets, delegation with { Keys = new([newKey.PublicKey.KeyId], 1) }, [newKey.PublicKey], [newKey]);
        repo.AddTarget("security/patch.bin", [2], 2, role: "security");
        repo.Publish();
        Assert.Equal([2], await device.UpdateAsync("security/patch.bin"));

        var current = repo.Builder.TargetsRoles["security"].Signed;
        repo.Metadata[$"{current.Version}.security.json"] = SignedMetadata<TargetsMetadata>.Create(current, [oldKey]).ToBytes();
        device.Store.Delete("security");
        await device.Updater.RefreshAsync();
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.FindTargetAsync("security/patch.bin"));
        Assert.Equal(TufTrustFailure.ThresholdNotMet, e.Reason);
    }
}

/// <summary>TUF spec 5.6.7: pre-order delegation search, terminating delegations, the visit limit and cycles.</summary>
public class TufDelegationSearchTests
{
    private static DelegatedRole Role(string name, ITufSigner key, bool terminating = false, params string[] paths) =>
        new() { Name = name, Keys = new([key.PublicKey.KeyId], 1), Paths = paths, Terminating = terminating };

    [Fact]
    public async Task Earlier_delegation_wins_in_pre_order()
    {
        var repo = new SimulatedTufRepository();
        var (a, b, a1) = (Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate());
        repo.Builder.Delegate(TufRoles.Targets, Role("a", a, false, "fw/*"), [a.PublicKey], [a]);
        repo.Builder.Delegate(TufRoles.Targets, Role("b", b, false, "fw/*"), [b.PublicKey], [b]);
        repo.Builder.Delegate("a", Role("a1", a1, false, "fw/*"), [a1.PublicKey], [a1]);
        repo.AddTarget("fw/x.bin", [1], role: "a1");
        repo.AddTarget("fw/x.bin", [2], role: "b");
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        Assert.Equal("a1", (await device.Updater.FindTargetAsync("fw/x.bin")).Role);
    }

    [Fact]
    public async Task Terminating_delegation_stops_the_search_at_it()
    {
        var repo = new SimulatedTufRepository();
        var (a, b) = (Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate());
        repo.Builder.Delegate(TufRoles.Targets, Role("a", a, true, "fw/*"), [a.PublicKey], [a]);
        repo.Builder.Delegate(TufRoles.Targets, Role("b", b, false, "fw/*"), [b.PublicKey], [b]);
        repo.AddTarget("fw/x.bin", [2], role: "b");
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.FindTargetAsync("fw/x.bin"));
        Assert.Equal(TufTrustFailure.TargetNotFound, e.Reason);
    }

    [Fact]
    public async Task Non_terminating_delegation_lets_the_search_continue()
    {
        var repo = new SimulatedTufRepository();
        var (a, b) = (Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate());
        repo.Builder.Delegate(TufRoles.Targets, Role("a", a, false, "fw/*"), [a.PublicKey], [a]);
        repo.Builder.Delegate(TufRoles.Targets, Role("b", b, false, "fw/*"), [b.PublicKey], [b]);
        repo.AddTarget("fw/x.bin", [2], role: "b");
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        Assert.Equal("b", (await device.Updater.FindTargetAsync("fw/x.bin")).Role);
    }

    [Fact]
    public async Task Search_visits_at_most_the_configured_number_of_roles()
    {
        var repo = new SimulatedTufRepository();
        var parent = TufRoles.Targets;
        for (var i = 0; i < 5; i++)
        {
            var key = Ed25519TufSigner.Generate();
            repo.Builder.Delegate(parent, Role($"level{i}", key, false, "*"), [key.PublicKey], [key]);
            parent = $"level{i}";
        }
        repo.AddTarget("deep.bin", [1], role: parent);
        repo.Publish();
        using var limited = new SimulatedDevice(repo, new TufUpdaterOptions { MaxDelegations = 3 });
        await limited.Updater.RefreshAsync();
        var e = await Assert.ThrowsAsync<TufTrustException>(() => limited.Updater.FindTargetAsync("deep.bin"));
        Assert.Contains("within 3", e.Message);
        Assert.DoesNotContain(repo.Requests, r => r.EndsWith("level3.json", StringComparison.Ordinal));

        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        Assert.Equal("level4", (await device.Updater.FindTargetAsync("deep.bin")).Role);
    }

    [Fact]
    public async Task Delegation_cycles_are_visited_once()
    {
        var repo = new SimulatedTufRepository();
        var (a, b) = (Ed25519TufSigner.Generate(), Ed25519TufSigner.Generate());
        repo.Builder.Delegate(TufRoles.Targets, Role("a", a, false, "*"), [a.PublicKey], [a]);
        repo.Builder.Delegate("a", Role("b", b, false, "*"), [b.PublicKey], [b]);
        repo.Builder.Delegate("b", Role("a", a, false, "*"), [a.PublicKey]);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.FindTargetAsync("none.bin"));
        Assert.Equal(TufTrustFailure.TargetNotFound, e.Reason);
        Assert.Single(repo.Requests, r => r.EndsWith(".a.json", StringComparison.Ordinal));
    }
}
