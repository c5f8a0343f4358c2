using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Tests;

/// <summary>The rollout part of the storage contract, unchanged against SQLite and PostgreSQL.</summary>
public abstract class RolloutStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    private static RolloutDefinition Definition(string id = "r1") => new(
        id,
        new ReleaseReference("fw-2", "2.0.0", 7, ReleaseChannel.Security),
        new DeviceSelection("mower", ["eu", "garden"], ["1.0.0"], []),
        [
            new RingDefinition(1.5m, TimeSpan.FromMinutes(10), 95m, true),
            new RingDefinition(100m, TimeSpan.Zero, 99.5m, false),
        ],
        new ErrorThreshold(3, 12.5m, 4, ErrorThresholdAction.Abort),
        60,
        TimeSpan.FromMinutes(30),
        2,
        new MaintenancePolicy([new MaintenanceWindow(CronSchedule.Parse("0 2 * * MON-FRI"), TimeSpan.FromHours(3), TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"))], true));

    private async Task InsertRolloutAsync(RolloutDefinition definition)
    {
        await using var work = await Store.BeginAsync();
        Assert.True(await work.Rollouts.InsertAsync(definition, RolloutState.Draft(definition, T0)));
        await work.CommitAsync();
    }

    private async Task InsertDevicesAsync(params string[] ids)
    {
        await using var work = await Store.BeginAsync();
        foreach (var id in ids)
        {
            await work.Devices.InsertAsync(new Device(id, "mower", null, ["eu", "garden"], DeviceLifecycleState.Active, T0, null, null));
        }

        await work.CommitAsync();
    }

    [Fact]
    public async Task Rollout_definition_and_state_round_trip()
    {
        var definition = Definition();
        await InsertRolloutAsync(definition);

        await using var read = await Store.ReadAsync();
        var stored = await read.Rollouts.GetAsync("r1");
        Assert.NotNull(stored);
        var d = stored.Definition;
        Assert.Equal(definition.Release, d.Release);
        Assert.Equal("mower", d.Selection.Model);
        Assert.Equal(["eu", "garden"], d.Selection.Tags);
        Assert.Equal(["1.0.0"], d.Selection.CurrentVersions);
        Assert.Empty(d.Selection.DeviceIds);
        Assert.Equal(definition.Rings, d.Rings);
        Assert.Equal(definition.ErrorThreshold, d.ErrorThreshold);
        Assert.Equal(60, d.MaxDevicesPerMinute);
        Assert.Equal(TimeSpan.FromMinutes(30), d.InstallTimeout);
        Assert.Equal(2, d.MaxRetries);
        Assert.True(d.Maintenance.SecurityReleasesBypassWindows);
        var window = Assert.Single(d.Maintenance.Windows);
        Assert.Equal("0 2 * * MON-FRI", window.Schedule.Expression);
        Assert.Equal(TimeSpan.FromHours(3), window.Duration);
        Assert.Equal("Europe/Berlin", window.TimeZone.Id);
        Assert.Equal(RolloutState.Draft(definition, T0) with { Rings = stored.State.Rings }, stored.State);
        Assert.Equal(RolloutState.Draft(definition, T0).Rings, stored.State.Rings);
        Assert.Null(await read.Rollouts.GetAsync("missing"));
    }

    [Fact]
    public async Task Duplicate_rollout_id_is_refused()
    {
        await InsertRolloutAsync(Definition());
        await using var work = await Store.BeginAsync();
        Assert.False(await work.Rollouts.InsertAsync(Definition(), RolloutState.Draft(Definition(), T0)));
    }

    [Fact]
    public async Task State_write_is_compare_and_set_on_the_version()
    {
        var definition = Definition();
        await InsertRolloutAsync(definition);
        await using var work = await Store.BeginAsync();
        var stored = (await work.Rollouts.GetAsync("r1", RolloutLock.Update))!;
        var started = RolloutStateMachine.Apply(definition, stored.State, new StartRollout([3, 300]), T0.AddMinutes(1)).State;

        Assert.False(await work.Rollouts.UpdateStateAsync(started, expectedVersion: 5));
        Assert.True(await work.Rollouts.UpdateStateAsync(started, expectedVersion: 0));
        Assert.False(await work.Rollouts.UpdateStateAsync(started, expectedVersion: 0));
        await work.CommitAsync();

        await using var read = await Store.ReadAsync();
        var reread = (await read.Rollouts.GetAsync("r1"))!.State;
        Assert.Equal(started.Version, reread.Version);
        Assert.Equal(RolloutStatus.Running, reread.Status);
        Assert.Equal(started.Rings, reread.Rings);
        Assert.Equal(T0.AddMinutes(1), reread.StartedAt);
    }

    [Fact]
    public async Task Listing_filters_by_status_newest_first()
    {
        await InsertRolloutAsync(Definition("a"));
        await InsertRolloutAsync(Definition("b"));
        await using (var work = await Store.BeginAsync())
        {
            var b = (await work.Rollouts.GetAsync("b", RolloutLock.Update))!;
            var started = RolloutStateMachine.Apply(b.Definition, b.State, new StartRollout([0, 0]), T0).State;
            Assert.True(await work.Rollouts.UpdateStateAsync(started, b.State.Version));
            await work.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(["a", "b"], (await read.Rollouts.ListAsync()).Select(r => r.Definition.Id).Order());
        Assert.Equal(["b"], (await read.Rollouts.ListAsync([RolloutStatus.Running, RolloutStatus.Completed])).Select(r => r.Definition.Id));
        Assert.Empty(await read.Rollouts.ListAsync([]));
    }

    [Fact]
    public async Task Two_concurrent_advances_apply_exactly_once()
    {
        var definition = Definition();
        await InsertRolloutAsync(definition);
        long awaitingVersion;
        await using (var work = await Store.BeginAsync())
        {
            var stored = (await work.Rollouts.GetAsync("r1", RolloutLock.Update))!;
            var state = RolloutStateMachine.Apply(definition, stored.State, new StartRollout([0, 10]), T0).State;
            state = RolloutStateMachine.Apply(definition, state, new RolloutTick(), T0.AddMinutes(11)).State;
            Assert.Equal(RingStatus.AwaitingApproval, state.Rings[0].Status);
            Assert.True(await work.Rollouts.UpdateStateAsync(state, stored.State.Version));
            awaitingVersion = state.Version;
            await work.CommitAsync();
        }

        // Two replicas approve the ring at the same moment; the row lock makes the second read the first's result.
        async Task<bool> ApproveAsync()
        {
            await using var work = await Store.BeginAsync();
            var stored = (await work.Rollouts.GetAsync("r1", RolloutLock.Update))!;
            var transition = RolloutStateMachine.Apply(stored.Definition, stored.State, new ApproveNextRing(0), T0.AddMinutes(12));
            if (!transition.Accepted)
            {
                return false;
            }

            var written = await work.Rollouts.UpdateStateAsync(transition.State, stored.State.Version);
            await work.CommitAsync();
            return written;
        }

        var results = await Task.WhenAll(Task.Run(ApproveAsync), Task.Run(ApproveAsync));
        Assert.Equal(1, results.Count(r => r));

        await using var read = await Store.ReadAsync();
        var final = (await read.Rollouts.GetAsync("r1"))!.State;
        Assert.Equal(awaitingVersion + 1, final.Version);
        Assert.Equal(1, final.CurrentRing);
        Assert.Equal(RingStatus.Passed, final.Rings[0].Status);
        Assert.Equal(RingStatus.Active, final.Rings[1].Status);
    }

    [Fact]
    public async Task Assignment_round_trips_and_writes_are_compare_and_set()
    {
        await InsertRolloutAsync(Definition());
        await InsertDevicesAsync("d1");
        var assignment = DeviceAssignment.Create("r1", "d1", 1, 4321, "1.0.0", T0);
        await using var work = await Store.BeginAsync();
        Assert.True(await work.Assignments.InsertAsync(assignment));
        Assert.False(await work.Assignments.InsertAsync(assignment));
        Assert.Equal(assignment, await work.Assignments.GetAsync("r1", "d1"));

        var downloading = DeviceUpdateMachine.Apply(Definition(), assignment, new DevicePhaseReported(DeviceUpdateStatus.Downloading), T0.AddMinutes(1)).Assignment;
        Assert.False(await work.Assignments.UpdateAsync(downloading, expectedVersion: 9));
        Assert.True(await work.Assignments.UpdateAsync(downloading, assignment.Version));
        Assert.Equal(downloading, await work.Assignments.GetAsync("r1", "d1"));
        Assert.Null(await work.Assignments.GetAsync("r1", "d2"));
    }

    [Fact]
    public async Task Assignment_queries_serve_check_in_effects_timeouts_and_rate_limit()
    {
        await InsertRolloutAsync(Definition());
        await InsertRolloutAsync(Definition("r2"));
        await InsertDevicesAsync("d1", "d2", "d3", "d4");
        var definition = Definition();
        await using var work = await Store.BeginAsync();
        await work.Assignments.InsertAsync(DeviceAssignment.Create("r1", "d1", 0, 10, "1.0.0", T0));
        await work.Assignments.InsertAsync(DeviceAssignment.Create("r1", "d2", 1, 500, "1.0.0", T0.AddMinutes(1)));
        await work.Assignments.InsertAsync(DeviceAssignment.Create("r1", "d3", 1, 600, "1.0.0", T0.AddMinutes(2)));
        var d2 = (await work.Assignments.GetAsync("r1", "d2"))!;
        var started = DeviceUpdateMachine.Apply(definition, d2, new DevicePhaseReported(DeviceUpdateStatus.Installing), T0.AddMinutes(3)).Assignment;
        await work.Assignments.UpdateAsync(started, d2.Version);
        var d3 = (await work.Assignments.GetAsync("r1", "d3"))!;
        var done = DeviceUpdateMachine.Apply(definition, d3, new DevicePhaseReported(DeviceUpdateStatus.Succeeded), T0.AddMinutes(4)).Assignment;
        await work.Assignments.UpdateAsync(done, d3.Version);
        await work.Assignments.InsertAsync(DeviceAssignment.Create("r2", "d3", 0, 1, "2.0.0", T0));

        Assert.Equal(["r1"], (await work.Assignments.ListOpenForDeviceAsync("d1")).Select(a => a.RolloutId));
        Assert.Equal(["r2"], (await work.Assignments.ListOpenForDeviceAsync("d3")).Select(a => a.RolloutId));
        Assert.Equal(["r1", "r2"], (await work.Assignments.ListRolloutIdsForDeviceAsync("d3")).Order());
        Assert.Empty(await work.Assignments.ListOpenForDeviceAsync("d4"));

        Assert.Equal(["d1", "d2"], (await work.Assignments.ListByStatusAsync("r1", [DeviceUpdateStatus.Assigned, DeviceUpdateStatus.Installing], null, 10)).Select(a => a.DeviceId));
        Assert.Equal(["d2"], (await work.Assignments.ListByStatusAsync("r1", [DeviceUpdateStatus.Assigned, DeviceUpdateStatus.Installing], "d1", 10)).Select(a => a.DeviceId));

        Assert.Equal(["d2"], (await work.Assignments.ListAttemptsStartedBeforeAsync("r1", T0.AddMinutes(3), 10)).Select(a => a.DeviceId));
        Assert.Empty(await work.Assignments.ListAttemptsStartedBeforeAsync("r1", T0.AddMinutes(2), 10));

        Assert.Equal(2, await work.Assignments.CountAssignedSinceAsync("r1", T0.AddMinutes(1)));
        Assert.Equal(
            [new AssignmentCount(0, DeviceUpdateStatus.Assigned, 1), new AssignmentCount(1, DeviceUpdateStatus.Installing, 1), new AssignmentCount(1, DeviceUpdateStatus.Succeeded, 1)],
            (await work.Assignments.CountByRingAndStatusAsync("r1")).OrderBy(c => c.RingIndex).ThenBy(c => c.Status));
    }

    [Fact]
    public async Task Software_state_upserts_and_feeds_the_planner_view_of_active_devices()
    {
        await InsertDevicesAsync("d1", "d2");
        await using var work = await Store.BeginAsync();
        await work.Devices.InsertAsync(new Device("d3", "drone", null, [], DeviceLifecycleState.Quarantined, T0, null, null));
        await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d1", "fw-1", "1.0.0", 3, "a", "healthy", T0));
        await work.DeviceSoftware.UpsertAsync(new DeviceSoftwareState("d1", "fw-2", "2.0.0", 7, "b", "degraded", T0.AddMinutes(1)));

        Assert.Equal(new DeviceSoftwareState("d1", "fw-2", "2.0.0", 7, "b", "degraded", T0.AddMinutes(1)), await work.DeviceSoftware.GetAsync("d1"));
        Assert.Null(await work.DeviceSoftware.GetAsync("d2"));

        var facts = await work.DeviceSoftware.ListActiveFactsAsync(null, 10);
        Assert.Equal(["d1", "d2"], facts.Select(f => f.Id));
        Assert.Equal(["eu", "garden"], facts[0].Tags);
        Assert.Equal("2.0.0", facts[0].InstalledVersion);
        Assert.Equal(7, facts[0].InstalledSecurityVersion);
        Assert.Null(facts[1].InstalledVersion);
        Assert.Equal(["d2"], (await work.DeviceSoftware.ListActiveFactsAsync("d1", 10)).Select(f => f.Id));
    }
}

public sealed class SqliteRolloutStoreContract() : RolloutStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresRolloutStoreContract() : RolloutStoreContract(new PostgresTestStoreFactory());
