using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Tests.Updates;

/// <summary>The update repository's storage contract (TUF metadata rows, release catalogue, signatures) on both engines.</summary>
public abstract class UpdateStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    private static Release NewRelease(string id, string version, ReleaseChannel channel = ReleaseChannel.Stable, DateTimeOffset? at = null) =>
        new(id, version, 3, channel, $"{channel.ToName()}/{version}/fw.bin", channel == ReleaseChannel.Security ? "security" : "targets",
            ["robot-a", "robot-b"], 1234, new string('a', 64), new string('b', 128), null, ReleaseState.Pending, at ?? T0, "token:t1", null, null);

    [Fact]
    public async Task Metadata_versions_are_kept_per_role_never_overwritten_and_the_latest_is_found()
    {
        await using (var uow = await Store.BeginAsync())
        {
            Assert.True(await uow.TufMetadata.InsertAsync(new StoredTufMetadata("root", 1, [1, 2], T0.AddDays(365), T0)));
            Assert.True(await uow.TufMetadata.InsertAsync(new StoredTufMetadata("root", 2, [3], T0.AddDays(365), T0)));
            Assert.True(await uow.TufMetadata.InsertAsync(new StoredTufMetadata("timestamp", 7, [9], T0.AddDays(1), T0)));
            Assert.False(await uow.TufMetadata.InsertAsync(new StoredTufMetadata("root", 2, [4], T0.AddDays(365), T0)));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        Assert.Equal([3], (await read.TufMetadata.GetAsync("root", 2))!.Content);
        Assert.Equal(2, (await read.TufMetadata.GetLatestAsync("root"))!.Version);
        Assert.Null(await read.TufMetadata.GetLatestAsync("snapshot"));
        Assert.Equal([1L, 2L], (await read.TufMetadata.ListVersionsAsync("root")).Select(m => m.Version));
        Assert.Equal(["root", "timestamp"], await read.TufMetadata.ListRolesAsync());
        Assert.Equal(T0.AddDays(1), (await read.TufMetadata.GetAsync("timestamp", 7))!.ExpiresAt);
    }

    [Fact]
    public async Task A_release_round_trips_is_found_by_id_version_and_target_path_and_a_taken_path_is_refused()
    {
        var release = NewRelease("rel_1", "1.0.0") with { SbomSha256 = new string('c', 64) };
        await using (var uow = await Store.BeginAsync())
        {
            Assert.True(await uow.Releases.InsertAsync(release));
            Assert.False(await uow.Releases.InsertAsync(release with { Id = "rel_2" }));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        var stored = await read.Releases.GetAsync("rel_1");
        Assert.Equal(release with { HardwareIds = stored!.HardwareIds }, stored);
        Assert.Equal(["robot-a", "robot-b"], stored.HardwareIds);
        Assert.Equal("rel_1", (await read.Releases.FindByVersionAsync("1.0.0", ReleaseChannel.Stable))!.Id);
        Assert.Null(await read.Releases.FindByVersionAsync("1.0.0", ReleaseChannel.Security));
        Assert.Equal("rel_1", (await read.Releases.FindByTargetPathAsync("stable/1.0.0/fw.bin"))!.Id);
    }

    [Fact]
    public async Task Releases_list_newest_first_filtered_by_channel_and_state_and_are_marked_signed_once()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Releases.InsertAsync(NewRelease("rel_1", "1.0.0", at: T0));
            await uow.Releases.InsertAsync(NewRelease("rel_2", "1.0.1", ReleaseChannel.Security, T0.AddMinutes(1)));
            await uow.Releases.InsertAsync(NewRelease("rel_3", "1.1.0", at: T0.AddMinutes(2)));
            Assert.Equal(1, await uow.Releases.MarkSignedAsync(["rel_1"], 4, T0.AddHours(1)));
            Assert.Equal(0, await uow.Releases.MarkSignedAsync(["rel_1"], 5, T0.AddHours(2)));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        Assert.Equal(["rel_3", "rel_2", "rel_1"], (await read.Releases.ListAsync()).Select(r => r.Id));
        Assert.Equal(["rel_2"], (await read.Releases.ListAsync(ReleaseChannel.Security)).Select(r => r.Id));
        Assert.Equal(["rel_3", "rel_2"], (await read.Releases.ListAsync(state: ReleaseState.Pending)).Select(r => r.Id));
        var signed = (await read.Releases.GetAsync("rel_1"))!;
        Assert.Equal((ReleaseState.Signed, 4L, T0.AddHours(1)), (signed.State, signed.TargetsVersion!.Value, signed.SignedAt!.Value));
    }

    [Fact]
    public async Task Signatures_are_recorded_once_per_key_and_listed_by_key_since_an_instant()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Releases.InsertAsync(NewRelease("rel_1", "1.0.0"));
            await uow.Releases.InsertAsync(NewRelease("rel_2", "1.0.1"));
            await uow.Releases.RecordSignatureAsync(new ReleaseSignature("rel_1", "k1", "targets", T0));
            await uow.Releases.RecordSignatureAsync(new ReleaseSignature("rel_1", "k1", "targets", T0.AddMinutes(5)));
            await uow.Releases.RecordSignatureAsync(new ReleaseSignature("rel_2", "k1", "targets", T0.AddHours(2)));
            await uow.Releases.RecordSignatureAsync(new ReleaseSignature("rel_2", "k2", "targets", T0.AddHours(2)));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        Assert.Equal(["rel_1", "rel_2"], (await read.Releases.ListSignaturesByKeyAsync("k1", T0)).Select(s => s.ReleaseId));
        Assert.Equal(["rel_2"], (await read.Releases.ListSignaturesByKeyAsync("k1", T0.AddHours(1))).Select(s => s.ReleaseId));
        Assert.Equal(["k1", "k2"], (await read.Releases.ListSignaturesAsync("rel_2")).Select(s => s.KeyId));
    }

    [Fact]
    public async Task A_release_inserted_in_a_rolled_back_unit_of_work_does_not_exist()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Releases.InsertAsync(NewRelease("rel_1", "1.0.0"));
            await uow.TufMetadata.InsertAsync(new StoredTufMetadata("targets", 2, [1], T0, T0));
        }
        await using var read = await Store.ReadAsync();
        Assert.Null(await read.Releases.GetAsync("rel_1"));
        Assert.Null(await read.TufMetadata.GetLatestAsync("targets"));
    }
}

public sealed class SqliteUpdateStoreContract() : UpdateStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresUpdateStoreContract() : UpdateStoreContract(new PostgresTestStoreFactory());
