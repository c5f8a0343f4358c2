using Fleetward.Server.Rollouts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>The hosted worker ticks rollouts as soon as it starts, on the injected clock.</summary>
public sealed class RolloutWorkerTests
{
    [Fact]
    public async Task Worker_ends_a_finished_soak_on_its_first_tick()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
        await using var test = await SqliteRolloutTestStore.CreateAsync(clock);
        await PublishedReleases.PublishAsync(test.Store, "fw", "2.0.0", 1);
        var rollouts = new RolloutService(test.Store, clock);
        await rollouts.CreateAsync(new CreateRolloutRequest(new ReleaseSpec("fw"), [new RingSpec(50m, 600), new RingSpec(100m)], "r1"), "test", default);
        var started = await rollouts.StartAsync("r1", "test", null, default);
        Assert.Equal("soaking", started.Rings[0].Status);
        clock.Advance(TimeSpan.FromMinutes(10));

        using var worker = new RolloutWorker(new RolloutTicker(test.Store, clock), clock, NullLogger<RolloutWorker>.Instance);
        await worker.StartAsync(default);
        // The first tick runs at start; wait for it (bounded, so a broken worker fails instead of hanging).
        for (var i = 0; i < 200 && (await rollouts.GetAsync("r1", default)).Status != "completed"; i++)
        {
            await Task.Delay(50);
        }
        await worker.StopAsync(default);

        var view = await rollouts.GetAsync("r1", default);
        Assert.Equal("completed", view.Status);
        Assert.All(view.Rings, r => Assert.Equal("passed", r.Status));
    }
}
