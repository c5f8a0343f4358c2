using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Identity;
using Fleetward.Storage;

namespace Fleetward.Server.Tests.Identity;

/// <summary>The in-memory revocation set and device cache: fresh within their bound, and never losing an in-process change.</summary>
public sealed class RevocationRegistryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = TestServer.Start;
    private DirectoryInfo _dir = null!;
    private IFleetStore _store = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("fleetward-revocation-");
        _store = await FleetStores.OpenSqliteAsync(Path.Combine(_dir.FullName, "fleetward.db"));
        await using var uow = await _store.BeginAsync();
        await uow.Devices.InsertAsync(new Device("robot-1", "m", null, [], DeviceLifecycleState.Active, T0, null, null));
        await uow.Certificates.InsertAsync(new StoredDeviceCertificate("0A", "robot-1", T0, T0.AddDays(1), T0, null, null, [1]));
        await uow.Certificates.InsertAsync(new StoredDeviceCertificate("0B", "robot-1", T0, T0.AddDays(1), T0, null, null, [2]));
        await uow.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_revocation_applied_in_process_is_seen_at_once_and_survives_the_next_refresh()
    {
        var clock = new SteppedClock(T0);
        var registry = new RevocationRegistry(_store, clock);
        Assert.Empty(registry.Latest());

        await RevokeInStoreAsync("robot-1");
        registry.Add(["0A", "0B"]);
        Assert.True(await registry.IsRevokedAsync("0A"));
        clock.Elapse(RevocationRegistry.MaxAge);
        Assert.Equal(["0A", "0B"], (await registry.CurrentAsync()).Order());
    }

    [Fact]
    public async Task A_revocation_made_elsewhere_is_seen_once_the_snapshot_is_older_than_its_bound()
    {
        var clock = new SteppedClock(T0);
        var registry = new RevocationRegistry(_store, clock);
        Assert.False(await registry.IsRevokedAsync("0A"));

        await RevokeInStoreAsync("robot-1");
        Assert.False(await registry.IsRevokedAsync("0A"));
        clock.Elapse(RevocationRegistry.MaxAge);
        Assert.True(await registry.IsRevokedAsync("0A"));
    }

    [Fact]
    public async Task The_device_cache_rereads_after_its_bound_or_an_eviction()
    {
        var clock = new SteppedClock(T0);
        var cache = new DeviceStateCache(_store, clock);
        Assert.Equal(DeviceLifecycleState.Active, (await cache.GetAsync("robot-1", default))!.State);
        await using (var uow = await _store.BeginAsync())
        {
            await uow.Devices.SetStateAsync("robot-1", DeviceLifecycleState.Quarantined);
            await uow.CommitAsync();
        }

        Assert.Equal(DeviceLifecycleState.Active, (await cache.GetAsync("robot-1", default))!.State);
        cache.Evict("robot-1");
        Assert.Equal(DeviceLifecycleState.Quarantined, (await cache.GetAsync("robot-1", default))!.State);
        Assert.Null(await cache.GetAsync("robot-404", default));
    }

    private async Task RevokeInStoreAsync(string deviceId)
    {
        await using var uow = await _store.BeginAsync();
        await uow.Certificates.RevokeAllForDeviceAsync(deviceId, T0, "keyCompromise");
        await uow.CommitAsync();
    }

    /// <summary>A clock whose monotonic timestamp moves only when told, so cache ages are exact.</summary>
    private sealed class SteppedClock(DateTimeOffset now) : TimeProvider
    {
        private long _ticks;

        public override DateTimeOffset GetUtcNow() => now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Elapse(TimeSpan by) => _ticks += by.Ticks;
    }
}
