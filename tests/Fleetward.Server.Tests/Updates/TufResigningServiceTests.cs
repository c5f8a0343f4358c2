using Fleetward.Core.Ports;
using Fleetward.Server.Configuration;
using Fleetward.Server.Updates;
using Fleetward.Storage;
using Fleetward.Trust.Tuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Server.Tests.Updates;

/// <summary>The hosted re-signing service on a clock whose timers fire when the test says so.</summary>
public sealed class TufResigningServiceTests : IAsyncLifetime
{
    /// <summary>A clock the test moves and whose timers tick only on <see cref="Tick"/>.</summary>
    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        private readonly List<(TimerCallback Callback, object? State)> _timers = [];
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_timers) _timers.Add((callback, state));
            return new Timer();
        }

        public void Tick()
        {
            lock (_timers) foreach (var (callback, state) in _timers) callback(state);
        }

        private sealed class Timer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private readonly string _dir = Directory.CreateTempSubdirectory("fleetward-resign-").FullName;
    private readonly SteppedClock _clock = new(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero));
    private IFleetStore _store = null!;
    private UpdatesDirectory _updates = null!;

    public async Task InitializeAsync()
    {
        var data = new DataDirectory(Path.Combine(_dir, "data"));
        var loopback = new Uri("https://127.0.0.1:0");
        await DataDirectoryInitializer.InitializeAsync(data, loopback, loopback, null, _clock, CancellationToken.None);
        _updates = new UpdatesDirectory(data.Root);
        _store = await FleetStores.OpenSqliteAsync(data.DefaultDatabasePath, CancellationToken.None, _clock);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<long> TimestampVersionAsync()
    {
        await using var read = await _store.ReadAsync();
        return (await read.TufMetadata.GetLatestAsync(TufRoles.Timestamp))!.Version;
    }

    [Fact]
    public async Task On_each_tick_the_service_re_signs_the_timestamp_once_it_is_past_half_its_lifetime()
    {
        var repository = new TufRepositoryService(_store, _updates, UpdatesSettings.Load(_updates), TufKeyring.Load(_updates, _ => null), new ArtifactStore(_updates), _clock);
        using var service = new TufResigningService(repository, _clock, NullLogger<TufResigningService>.Instance);
        var before = await TimestampVersionAsync();
        await service.StartAsync(CancellationToken.None);
        try
        {
            _clock.Tick();
            Assert.Equal(before, await TimestampVersionAsync());

            _clock.Now += TimeSpan.FromHours(13);
            _clock.Tick();
            // The tick only releases the service's loop; wait (bounded) for its re-signing transaction to commit.
            for (var i = 0; i < 500 && await TimestampVersionAsync() == before; i++) await Task.Delay(10);
            Assert.Equal(before + 1, await TimestampVersionAsync());
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }
}
