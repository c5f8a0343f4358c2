using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Audit;
using Fleetward.Storage;
using Fleetward.Trust.Notes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Server.Tests.Audit;

/// <summary>The periodic checkpoint service: signs at start, then on each tick of its configured interval when the log grew.</summary>
public sealed class AuditCheckpointServiceTests : IAsyncLifetime
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("fleetward-audit-service-");
    private IFleetStore store = null!;

    public async Task InitializeAsync() => store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"));

    public async Task DisposeAsync()
    {
        await store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Signs_at_start_and_on_each_tick_after_the_log_grew()
    {
        var clock = new TickingClock();
        var signer = Ed25519NoteSigner.Generate("service.example/fleetward-audit");
        var checkpointer = new AuditCheckpointer(store, signer, clock);
        using var service = new AuditCheckpointService(checkpointer, TimeSpan.FromMinutes(7), clock, NullLogger<AuditCheckpointService>.Instance);
        await service.StartAsync(default);

        Assert.Equal(0, (await WaitForCheckpointAsync(0)).TreeSize);
        Assert.Equal(TimeSpan.FromMinutes(7), clock.Period);

        await AppendAsync(3);
        clock.Tick();
        var grown = await WaitForCheckpointAsync(3);
        Assert.True(Checkpoint.Open(grown.Note, signer.VerifierKey, "service.example/fleetward-audit").IsValid);

        await service.StopAsync(default);
    }

    [Fact]
    public async Task A_checkpoint_is_made_only_when_the_log_grew()
    {
        var checkpointer = new AuditCheckpointer(store, Ed25519NoteSigner.Generate("x/fleetward-audit"), TimeProvider.System);
        Assert.True((await checkpointer.CheckpointAsync(default)).Created);
        var again = await checkpointer.CheckpointAsync(default);
        Assert.False(again.Created);
        Assert.Equal(0, again.Checkpoint.TreeSize);
        await AppendAsync(1);
        Assert.Equal(1, (await checkpointer.CheckpointAsync(default)).Checkpoint.TreeSize);
    }

    private async Task AppendAsync(int count)
    {
        await using var work = await store.BeginAsync();
        for (var i = 0; i < count; i++)
        {
            await work.Audit.AppendAsync(new AuditEvent("test.event", DateTimeOffset.UnixEpoch, "test", $"s{i}", "{}"));
        }
        await work.CommitAsync();
    }

    private async Task<StoredAuditCheckpoint> WaitForCheckpointAsync(long size)
    {
        // The service runs on its own task; poll the store until it has written (bounded, not a timing assertion).
        for (var attempt = 0; attempt < 600; attempt++)
        {
            await using var read = await store.ReadAsync();
            if (await read.AuditCheckpoints.LatestAsync() is { } latest && latest.TreeSize == size)
            {
                return latest;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"no checkpoint of size {size} was signed");
    }

    /// <summary>A clock whose periodic timer fires only when the test calls <see cref="Tick"/>.</summary>
    private sealed class TickingClock : TimeProvider
    {
        private TimerCallback? callback;
        private object? state;

        public TimeSpan Period { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            this.callback = callback;
            this.state = state;
            Period = period;
            return new ManualTimer(this);
        }

        public void Tick() => callback!(state);

        private sealed class ManualTimer(TickingClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (period != Timeout.InfiniteTimeSpan)
                {
                    clock.Period = period;
                }
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
