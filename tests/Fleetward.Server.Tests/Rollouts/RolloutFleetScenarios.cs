using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>
/// Service-level fleet scenarios: a few hundred simulated devices check in through the real services and store.
/// The same scenarios run on SQLite and PostgreSQL.
/// </summary>
public abstract class RolloutFleetScenarios(Func<TimeProvider, Task<IRolloutTestStore>> createStore) : IAsyncLifetime
{
    private const string Operator = "token:test-operator";
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);
    private IRolloutTestStore _test = null!;
    private RolloutService _rollouts = null!;
    private RolloutTicker _ticker = null!;
    private SimulatedFleet _fleet = null!;

    public async Task InitializeAsync()
    {
        _test = await createStore(_clock);
        await PublishedReleases.PublishAsync(_test.Store, "fw", "2.0.0", 2, hardwareIds: ["mower"]);
        await PublishedReleases.PublishAsync(_test.Store, "fw-security", "2.0.0", 2, ReleaseChannel.Security, ["mower"]);
        _rollouts = new RolloutService(_test.Store, _clock);
        _ticker = new RolloutTicker(_test.Store, _clock);
        _fleet = new SimulatedFleet(_test.Store, _clock);
    }

    public async Task DisposeAsync() => await _test.DisposeAsync();

    private static CreateRolloutRequest Request(
        IReadOnlyList<RingSpec>? rings = null,
        ErrorThresholdSpec? errors = null,
        MaintenanceSpec? maintenance = null,
        string channel = "stable",
        int? rate = null,
        int retries = 0,
        long installTimeoutSeconds = 1800) => new(
        new ReleaseSpec(Version: "2.0.0", Channel: channel),
        rings ?? [new RingSpec(1m, 600), new RingSpec(10m, 600), new RingSpec(50m, 600), new RingSpec(100m, 0)],
        "rollout-1",
        new SelectionSpec(Model: "mower"),
        errors ?? new ErrorThresholdSpec(FailedPercent: 20m, MinimumFinished: 5, Action: "abort"),
        rate,
        installTimeoutSeconds,
        retries,
        maintenance);

    /// <summary>Check-ins and ticks, ten simulated minutes apart, until the rollout leaves running or the rounds run out.</summary>
    private async Task<RolloutView> DriveAsync(int rounds = 12)
    {
        for (var round = 0; round < rounds; round++)
        {
            await _fleet.CheckInAllAsync();
            await _fleet.CheckInAllAsync();
            await _fleet.CheckInAllAsync();
            _clock.Advance(TimeSpan.FromMinutes(11));
            await _ticker.TickAsync(default);
            var view = await _rollouts.GetAsync("rollout-1", default);
            if (view.Status != "running")
            {
                return view;
            }
        }
        return await _rollouts.GetAsync("rollout-1", default);
    }

    [Fact]
    public async Task Good_release_advances_through_every_ring_to_the_whole_fleet()
    {
        await _fleet.RegisterAsync(200);
        await _fleet.RegisterAsync(10, model: "drone");
        await _rollouts.CreateAsync(Request(), Operator, default);
        var started = await _rollouts.StartAsync("rollout-1", Operator, 0, default);
        Assert.Equal(200, started.Rings.Sum(r => r.TargetDevices));

        var done = await DriveAsync();

        Assert.Equal("completed", done.Status);
        Assert.Equal("all-rings-passed", done.StatusReason);
        Assert.All(done.Rings, r => Assert.Equal("passed", r.Status));
        Assert.All(done.Rings, r => Assert.Equal(r.TargetDevices, r.Succeeded));
        Assert.Equal(200, done.Devices["succeeded"]);
        Assert.All(_fleet.Devices.Values.Where(d => d.Device.Model == "mower"), d => Assert.Equal("2.0.0", d.Version));
        Assert.All(_fleet.Devices.Values.Where(d => d.Device.Model == "drone"), d => Assert.Equal(0, d.InstallOrders));
        // Rings opened in order: every ring was activated after the previous one passed its soak.
        for (var i = 1; i < done.Rings.Count; i++)
        {
            Assert.True(done.Rings[i].ActivatedAt >= done.Rings[i - 1].SoakStartedAt!.Value.AddMinutes(10));
        }

        var audit = await _test.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "rollout.started" && e.Actor == Operator);
        Assert.Equal(200, audit.Count(e => e.Type == "rollout.device-assigned"));
    }

    [Fact]
    public async Task Release_failing_a_third_of_the_canary_aborts_after_the_canary_and_rolls_the_canary_back()
    {
        await _fleet.RegisterAsync(300);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(10m, 600), new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        var canary = _fleet.Devices.Values.Where(d => RingOf(d) == 0).ToList();
        Assert.InRange(canary.Count, 15, 50);
        for (var i = 0; i < canary.Count; i += 3)
        {
            canary[i].Bad = true;
        }

        var aborted = await DriveAsync();

        Assert.Equal("aborted", aborted.Status);
        Assert.Equal("error-threshold", aborted.StatusReason);
        Assert.Equal("failed", aborted.Rings[0].Status);
        Assert.Equal("pending", aborted.Rings[1].Status);
        Assert.All(aborted.Rings[1].Devices.Values, count => Assert.Equal(0, count));
        Assert.All(_fleet.Devices.Values.Where(d => RingOf(d) != 0), d =>
        {
            Assert.Equal(0, d.InstallOrders);
            Assert.Equal(SimulatedFleet.OldVersion, d.Version);
        });

        // Devices that installed (or were installing) the release were ordered back; the status shows them returning...
        Assert.True(aborted.Devices["rollback-pending"] > 0, "some canary devices had installed the release before the threshold tripped");
        Assert.Contains(canary, d => d.Version == "2.0.0");

        var listed = await _rollouts.ListDevicesAsync("rollout-1", [DeviceUpdateStatus.RollbackPending], null, 1000, default);
        Assert.Equal(aborted.Devices["rollback-pending"], listed.Items.Count);
        Assert.All(listed.Items, a =>
        {
            Assert.Equal(0, a.Ring);
            Assert.Equal(SimulatedFleet.OldVersion, a.PreviousVersion);
            Assert.NotNull(a.RollbackOrderedAt);
            Assert.NotNull(a.InstallingAt);
        });

        // ...each is told to roll back on its next check-in and reports back on the one after.
        await _fleet.CheckInAllAsync();
        Assert.Contains(canary, d => d.LastInstruction is { Kind: "roll-back", RollbackToVersion: SimulatedFleet.OldVersion });
        await _fleet.CheckInAllAsync();
        var after = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal(0, after.Devices["rollback-pending"]);
        Assert.True(after.Rings[0].Reverted >= aborted.Devices["rollback-pending"]);
        Assert.Equal(after.Rings[0].Failed + after.Rings[0].Reverted, after.Devices["rolled-back"]);
        Assert.All(_fleet.Devices.Values, d => Assert.Equal(SimulatedFleet.OldVersion, d.Version));

        var audit = await _test.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "rollout.rollback-ordered");
        Assert.Contains(audit, e => e.Type == "rollout.status-changed" && e.Payload.Contains("\"to\":\"aborted\""));
    }

    [Fact]
    public async Task Error_threshold_with_pause_stops_after_the_canary_and_touches_no_other_device()
    {
        await _fleet.RegisterAsync(200);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(10m, 600), new RingSpec(100m, 0)],
            errors: new ErrorThresholdSpec(FailedPercent: 20m, MinimumFinished: 5, Action: "pause")), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        var canary = _fleet.Devices.Values.Where(d => RingOf(d) == 0).ToList();
        for (var i = 0; i < canary.Count; i += 3)
        {
            canary[i].Bad = true;
        }

        var paused = await DriveAsync();
        await _fleet.CheckInAllAsync();

        Assert.Equal("paused", paused.Status);
        Assert.Equal("error-threshold", paused.StatusReason);
        Assert.All(_fleet.Devices.Values.Where(d => RingOf(d) != 0), d =>
        {
            Assert.Equal(0, d.InstallOrders);
            Assert.Equal("none", d.LastInstruction!.Kind);
        });
    }

    [Fact]
    public async Task Device_outside_its_maintenance_window_waits_until_the_window_opens()
    {
        await _fleet.RegisterAsync(5);
        var window = new MaintenanceSpec([new MaintenanceWindowSpec("0 2 * * *", 3600, "UTC")]);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)], maintenance: window), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        var device = _fleet.Devices.Values.First();

        var waiting = await _fleet.CheckInAsync(device);
        Assert.Equal("hold", waiting.Kind);
        Assert.Equal("outside-maintenance-window", waiting.Reason);
        Assert.Equal(0, (await _rollouts.GetAsync("rollout-1", default)).Devices["assigned"]);

        _clock.Advance(TimeSpan.FromHours(14) + TimeSpan.FromMinutes(10));
        var install = await _fleet.CheckInAsync(device);
        Assert.Equal("install", install.Kind);
        Assert.Equal(new TargetView("fw", "2.0.0", 2, "stable"), install.Target);
    }

    [Fact]
    public async Task Security_release_bypasses_windows_when_the_policy_says_so()
    {
        await _fleet.RegisterAsync(1);
        var window = new MaintenanceSpec([new MaintenanceWindowSpec("0 2 * * *", 3600, "UTC")], SecurityReleasesBypassWindows: true);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)], maintenance: window, channel: "security"), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);

        Assert.Equal("install", (await _fleet.CheckInAsync(_fleet.Devices.Values.First())).Kind);
    }

    [Fact]
    public async Task Quarantined_or_revoked_device_gets_no_assignment_and_the_refusal_is_audited()
    {
        await _fleet.RegisterAsync(3);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        var devices = _fleet.Devices.Values.ToList();
        await _fleet.SetStateAsync(devices[0].Device.Id, DeviceLifecycleState.Quarantined);
        devices[1].Revoked = true;

        var quarantined = await _fleet.CheckInAsync(devices[0]);
        var revoked = await _fleet.CheckInAsync(devices[1]);
        var healthy = await _fleet.CheckInAsync(devices[2]);

        Assert.Equal(("hold", "gate-refused"), (quarantined.Kind, quarantined.Reason));
        Assert.Equal(("hold", "gate-refused"), (revoked.Kind, revoked.Reason));
        Assert.Equal("install", healthy.Kind);
        Assert.Equal(1, (await _rollouts.GetAsync("rollout-1", default)).Devices["assigned"]);
        var refusals = (await _test.AuditEntriesAsync()).Where(e => e.Type == "rollout.gate-refused").ToList();
        Assert.Contains(refusals, e => e.Subject == "device:" + devices[0].Device.Id && e.Payload.Contains("device-quarantined"));
        Assert.Contains(refusals, e => e.Subject == "device:" + devices[1].Device.Id && e.Payload.Contains("certificate-revoked"));
    }

    [Fact]
    public async Task Device_quarantined_mid_install_is_held()
    {
        await _fleet.RegisterAsync(1);
        var device = _fleet.Devices.Values.Single();
        device.Stalls = true;
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        Assert.Equal("install", (await _fleet.CheckInAsync(device)).Kind);

        await _fleet.SetStateAsync(device.Device.Id, DeviceLifecycleState.Quarantined);
        var held = await _fleet.CheckInAsync(device);

        Assert.Equal(("hold", "gate-refused"), (held.Kind, held.Reason));
        Assert.Equal(1, (await _rollouts.GetAsync("rollout-1", default)).Devices["downloading"]);
    }

    [Fact]
    public async Task Stuck_install_times_out_and_is_retried_then_fails()
    {
        await _fleet.RegisterAsync(1);
        var device = _fleet.Devices.Values.Single();
        device.Stalls = true;
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)], retries: 1, installTimeoutSeconds: 600), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        await _fleet.CheckInAsync(device);
        await _fleet.CheckInAsync(device);

        _clock.Advance(TimeSpan.FromMinutes(11));
        await _ticker.TickAsync(default);
        var retried = await _fleet.CheckInAsync(device);
        Assert.Equal(("install", 2), (retried.Kind, retried.Attempt));

        await _fleet.CheckInAsync(device);
        _clock.Advance(TimeSpan.FromMinutes(11));
        await _ticker.TickAsync(default);

        var view = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal(1, view.Devices["failed"]);
        Assert.Equal(1, view.Rings[0].Failed);
        Assert.Equal("none", (await _fleet.CheckInAsync(device)).Kind);
    }

    [Fact]
    public async Task Rate_limit_holds_devices_beyond_the_per_minute_budget()
    {
        await _fleet.RegisterAsync(10);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)], rate: 4), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);

        await _fleet.CheckInAllAsync();

        Assert.Equal(4, _fleet.Devices.Values.Count(d => d.LastInstruction!.Kind == "install"));
        Assert.Equal(6, _fleet.Devices.Values.Count(d => d.LastInstruction!.Reason == "rate-limited"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        await _fleet.CheckInAllAsync();
        Assert.Equal(4, _fleet.Devices.Values.Count(d => d.InstallOrders == 1));
        _clock.Advance(TimeSpan.FromSeconds(31));
        await _fleet.CheckInAllAsync();
        Assert.Equal(8, _fleet.Devices.Values.Count(d => d.InstallOrders == 1));
    }

    [Fact]
    public async Task Ring_requiring_approval_waits_for_the_operator()
    {
        await _fleet.RegisterAsync(100);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(20m, 0, RequiresApproval: true), new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        await _fleet.CheckInAllAsync();
        await _fleet.CheckInAllAsync();
        await _fleet.CheckInAllAsync();
        await _ticker.TickAsync(default);

        var waiting = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal("awaiting-approval", waiting.Rings[0].Status);
        Assert.All(_fleet.Devices.Values.Where(d => !InFirstRing(d, 20m)), d => Assert.Equal(0, d.InstallOrders));

        var approved = await _rollouts.ApproveAsync("rollout-1", null, Operator, waiting.Version, default);
        Assert.Equal("active", approved.Rings[1].Status);
        var again = await Assert.ThrowsAsync<ProblemException>(() => _rollouts.ApproveAsync("rollout-1", 0, Operator, null, default));
        Assert.StartsWith("ring-not-awaiting-approval", again.Message);
    }

    [Fact]
    public async Task Cancel_withdraws_assignments_not_yet_started()
    {
        await _fleet.RegisterAsync(3);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        foreach (var d in _fleet.Devices.Values)
        {
            d.Stalls = true;
        }
        await _fleet.CheckInAllAsync();

        var cancelled = await _rollouts.CancelAsync("rollout-1", Operator, null, default);

        Assert.Equal("cancelled", cancelled.Status);
        Assert.Equal(3, cancelled.Devices["withdrawn"]);
        await _fleet.CheckInAllAsync();
        Assert.All(_fleet.Devices.Values, d => Assert.Equal("none", d.LastInstruction!.Kind));
    }

    [Fact]
    public async Task Device_silent_after_an_abort_becomes_rollback_unresponsive_and_still_returns_when_it_calls_in()
    {
        await _fleet.RegisterAsync(30);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(100m, 3600)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        for (var pass = 0; pass < 3; pass++)
        {
            await _fleet.CheckInAllAsync();
        }
        Assert.Equal(30, (await _rollouts.GetAsync("rollout-1", default)).Devices["succeeded"]);
        var silent = _fleet.Devices.Values.Take(4).ToList();
        silent.ForEach(d => d.Silent = true);

        await _rollouts.AbortAsync("rollout-1", Operator, null, default);
        await _fleet.CheckInAllAsync();
        await _fleet.CheckInAllAsync();
        var ticker = new RolloutTicker(_test.Store, _clock, TimeSpan.FromHours(2));
        _clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.False(await ticker.TickAsync("rollout-1", default));
        Assert.Equal(4, (await _rollouts.GetAsync("rollout-1", default)).Devices["rollback-pending"]);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await ticker.TickAsync(default));
        var view = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal(0, view.Devices["rollback-pending"]);
        Assert.Equal(4, view.Devices["rollback-unresponsive"]);
        Assert.Equal(26, view.Devices["rolled-back"]);
        var listed = await _rollouts.ListDevicesAsync("rollout-1", [DeviceUpdateStatus.RollbackUnresponsive], null, 100, default);
        Assert.Equal(silent.Select(d => d.Device.Id).Order(), listed.Items.Select(a => a.DeviceId).Order());
        Assert.Single(await _test.AuditEntriesAsync(), e => e.Type == "rollout.rollbacks-unresponsive" && e.Payload.Contains("\"devices\":4"));
        Assert.Equal(0, await ticker.TickAsync(default));

        silent.ForEach(d => d.Silent = false);
        await _fleet.CheckInAllAsync();
        Assert.All(silent, d => Assert.Equal("roll-back", d.LastInstruction!.Kind));
        await _fleet.CheckInAllAsync();
        var returned = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal(0, returned.Devices["rollback-unresponsive"]);
        Assert.Equal(30, returned.Devices["rolled-back"]);
        Assert.Equal(30, returned.Rings[0].Reverted);
    }

    [Fact]
    public async Task Late_failure_in_a_passed_ring_trips_the_error_threshold()
    {
        await _fleet.RegisterAsync(40);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(50m, 0, SuccessThresholdPercent: 80m), new RingSpec(100m, 0)],
            errors: new ErrorThresholdSpec(FailedCount: 1, Action: "pause")), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        var slow = _fleet.Devices.Values.First(d => new RolloutCohort("rollout-1").BucketOf(d.Device.Id) < 5000);
        slow.Stalls = true;
        for (var pass = 0; pass < 3; pass++)
        {
            await _fleet.CheckInAllAsync();
        }
        var passed = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal("running", passed.Status);
        Assert.Equal("passed", passed.Rings[0].Status);
        Assert.Equal(1, passed.CurrentRing);

        // The slow canary device finally installs, fails its health check and falls back to its old slot.
        slow.Stalls = false;
        slow.Bad = true;
        await _fleet.CheckInAsync(slow);
        await _fleet.CheckInAsync(slow);
        await _fleet.CheckInAsync(slow);

        var paused = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal("paused", paused.Status);
        Assert.Equal("error-threshold", paused.StatusReason);
        Assert.Equal("passed", paused.Rings[0].Status);
        Assert.Equal(1, paused.Rings[0].Failed);
    }

    [Fact]
    public async Task Two_replicas_ticking_at_once_advance_the_ring_exactly_once()
    {
        await _fleet.RegisterAsync(40);
        await _rollouts.CreateAsync(Request(rings: [new RingSpec(50m, 600), new RingSpec(100m, 0)]), Operator, default);
        await _rollouts.StartAsync("rollout-1", Operator, null, default);
        for (var pass = 0; pass < 3; pass++)
        {
            await _fleet.CheckInAllAsync();
        }
        var soaking = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal("soaking", soaking.Rings[0].Status);
        _clock.Advance(TimeSpan.FromMinutes(11));

        var replicas = new[] { new RolloutTicker(_test.Store, _clock), new RolloutTicker(_test.Store, _clock), new RolloutTicker(_test.Store, _clock) };
        var changed = await Task.WhenAll(replicas.Select(r => Task.Run(() => r.TickAsync("rollout-1", default))));

        Assert.Equal(1, changed.Count(c => c));
        var advanced = await _rollouts.GetAsync("rollout-1", default);
        Assert.Equal(soaking.Version + 1, advanced.Version);
        Assert.Equal(1, advanced.CurrentRing);
        Assert.Single(await _test.AuditEntriesAsync(), e => e.Type == "rollout.status-changed" && e.Payload.Contains("\"currentRing\":1"));
    }

    /// <summary>The ring of the two-ring scenarios (10%, 100%) the device falls in, by the cohort rule the service uses.</summary>
    private static int RingOf(SimulatedDevice device) => InFirstRing(device, 10m) ? 0 : 1;

    private static bool InFirstRing(SimulatedDevice device, decimal percent) =>
        new RolloutCohort("rollout-1").BucketOf(device.Device.Id) < (int)(percent * 100m);
}

public sealed class SqliteRolloutFleetScenarios() : RolloutFleetScenarios(SqliteRolloutTestStore.CreateAsync);

public sealed class PostgresRolloutFleetScenarios() : RolloutFleetScenarios(PostgresRolloutTestStore.CreateAsync);
