using System.Text.Json;
using Fleetward.Core.Ports;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;
using Fleetward.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>
/// Two server replicas on one PostgreSQL database: each is its own DI container wired by the real
/// <see cref="RolloutEndpoints"/> module with its own store (connection pool). Both tick, approve and run their
/// <see cref="RolloutWorker"/> against the same rollout at once; the rollout still moves exactly once per transition.
/// </summary>
public sealed class RolloutReplicaTests : IAsyncLifetime
{
    private const string Operator = "token:test-operator";
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
    private PostgresRolloutTestStore _database = null!;
    private IFleetStore _secondStore = null!;
    private ServiceProvider _replicaA = null!;
    private ServiceProvider _replicaB = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresRolloutTestStore.CreateDatabaseAsync(_clock);
        _secondStore = await FleetStores.OpenPostgresAsync(_database.ConnectionString, default, _clock);
        _replicaA = Replica(_database.Store);
        _replicaB = Replica(_secondStore);
    }

    public async Task DisposeAsync()
    {
        await _replicaA.DisposeAsync();
        await _replicaB.DisposeAsync();
        await _secondStore.DisposeAsync();
        await _database.DisposeAsync();
    }

    private ServiceProvider Replica(IFleetStore store)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(store);
        services.AddSingleton<TimeProvider>(_clock);
        new RolloutEndpoints().ConfigureServices(services, new ServerOptions());
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Two_replicas_advance_a_rollout_once_per_ring_and_audit_each_transition_once()
    {
        await PublishedReleases.PublishAsync(_database.Store, "fw", "2.0.0", 2, hardwareIds: ["mower"]);
        var fleet = new SimulatedFleet(_database.Store, _clock);
        await fleet.RegisterAsync(60);
        var serviceA = _replicaA.GetRequiredService<RolloutService>();
        var serviceB = _replicaB.GetRequiredService<RolloutService>();
        Assert.NotSame(serviceA, serviceB);
        await serviceA.CreateAsync(new CreateRolloutRequest(new ReleaseSpec("fw"),
            [new RingSpec(20m, 600), new RingSpec(50m, 600, RequiresApproval: true), new RingSpec(100m, 600)], "replicated",
            new SelectionSpec(Model: "mower")), Operator, default);

        // Both replicas are asked to start the draft at once: one starts it, the other is refused.
        var starts = await Task.WhenAll(Attempt(() => serviceA.StartAsync("replicated", Operator, 0, default)), Attempt(() => serviceB.StartAsync("replicated", Operator, 0, default)));
        Assert.Equal(1, starts.Count(started => started));

        var tickers = new[] { _replicaA.GetRequiredService<RolloutTicker>(), _replicaB.GetRequiredService<RolloutTicker>() };
        for (var step = 0; step < 3; step++)
        {
            for (var pass = 0; pass < 3; pass++)
            {
                await fleet.CheckInAllAsync();
            }
            _clock.Advance(TimeSpan.FromMinutes(11));
            var view = await serviceA.GetAsync("replicated", default);
            if (view.Rings.Any(r => r.Status == "awaiting-approval"))
            {
                // Two operators click approve on two replicas with the version they saw.
                var approvals = await Task.WhenAll(
                    Attempt(() => serviceA.ApproveAsync("replicated", null, Operator, view.Version, default)),
                    Attempt(() => serviceB.ApproveAsync("replicated", null, Operator, view.Version, default)));
                Assert.Equal(1, approvals.Count(approved => approved));
                continue;
            }
            var changed = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => tickers[i % 2].TickAsync("replicated", default))));
            Assert.Equal(1, changed.Count(c => c));
        }

        // The last ring soaks out under both replicas' background workers, started together.
        for (var pass = 0; pass < 3; pass++)
        {
            await fleet.CheckInAllAsync();
        }
        _clock.Advance(TimeSpan.FromMinutes(11));
        var workers = new[] { Worker(_replicaA), Worker(_replicaB) };
        await Task.WhenAll(workers.Select(w => w.StartAsync(default)));
        for (var i = 0; i < 200 && (await serviceB.GetAsync("replicated", default)).Status != "completed"; i++)
        {
            await Task.Delay(50);
        }
        await Task.WhenAll(workers.Select(w => w.StopAsync(default)));

        var done = await serviceB.GetAsync("replicated", default);
        Assert.Equal("completed", done.Status);
        Assert.All(done.Rings, r => Assert.Equal("passed", r.Status));
        Assert.Equal(60, done.Devices["succeeded"]);

        var audit = (await _database.AuditEntriesAsync()).Where(e => e.Subject == "rollout:replicated").ToList();
        var transitions = audit.Where(e => e.Type == "rollout.status-changed")
            .Select(e => JsonDocument.Parse(e.Payload).RootElement)
            .Select(p => $"{p.GetProperty("from").GetString()}->{p.GetProperty("to").GetString()}@{p.GetProperty("currentRing").GetInt32()}")
            .ToList();
        Assert.Equal(["draft->running@0", "running->running@1", "running->running@2", "running->completed@2"], transitions);
        Assert.Single(audit, e => e.Type == "rollout.started");
        Assert.Single(audit, e => e.Type == "rollout.ring-approved");
        Assert.Single(audit, e => e.Type == "rollout.approval-requested");
        Assert.Equal(60, audit.Count(e => e.Type == "rollout.device-assigned"));
    }

    private static IHostedService Worker(IServiceProvider replica) =>
        replica.GetServices<IHostedService>().OfType<RolloutWorker>().Single();

    /// <summary>True when the action was applied, false when it was refused as a conflict.</summary>
    private static async Task<bool> Attempt(Func<Task<RolloutView>> action)
    {
        try
        {
            await Task.Run(action);
            return true;
        }
        catch (ProblemException e) when (e.Problem.Type == ProblemType.Conflict)
        {
            return false;
        }
    }
}
