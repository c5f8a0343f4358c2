using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Server.Rollouts;

namespace Fleetward.Integration.Tests.Agent;

/// <summary>
/// Issue 5's proof: fleets of real <see cref="DeviceAgent"/>s, each with its own identity and mutual-TLS connection,
/// file-backed A/B slots and TUF client, driven round by round on one shared test clock against the real server. The
/// same scenarios run on SQLite and on PostgreSQL.
/// </summary>
public abstract class AgentFleetTests(bool postgres) : IAsyncLifetime
{
    private const string Group = "fleet";
    private const int Parallelism = 8;
    private AgentFleetServer server = null!;
    private readonly List<VirtualDevice> devices = [];

    public async Task InitializeAsync()
    {
        server = await AgentFleetServer.StartAsync(postgres);
        await server.CreateGroupAsync(Group);
    }

    public async Task DisposeAsync()
    {
        foreach (var device in devices)
        {
            await device.DisposeAsync();
        }
        await server.DisposeAsync();
    }

    /// <summary>Creates and enrolls <paramref name="count"/> devices, <see cref="Parallelism"/> at a time.</summary>
    private async Task<IReadOnlyList<VirtualDevice>> FleetAsync(int count, Func<string, HealthCheckContext, HealthResult>? health = null)
    {
        var created = new ConcurrentBag<VirtualDevice>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
        {
            var id = $"rover-{devices.Count + i:D4}";
            var device = await server.NewDeviceAsync(Group, id, health is null ? null : context => health(id, context));
            Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);
            created.Add(device);
        });
        var fleet = created.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        devices.AddRange(fleet);
        return fleet;
    }

    private static Task CheckInAllAsync(IEnumerable<VirtualDevice> fleet) =>
        Parallel.ForEachAsync(fleet, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (device, _) => await device.Agent.CheckInAsync(default));

    /// <summary>Rounds of check-ins by the whole fleet, eleven minutes apart (past every ring's soak), until the rollout leaves running.</summary>
    private async Task<RolloutView> DriveAsync(string rollout, IReadOnlyList<VirtualDevice> fleet, int rounds = 10)
    {
        for (var round = 0; round < rounds; round++)
        {
            await CheckInAllAsync(fleet);
            await server.AdvanceAsync(TimeSpan.FromMinutes(11));
            var view = await server.RolloutAsync(rollout);
            if (view.Status != "running")
            {
                return view;
            }
        }
        return await server.RolloutAsync(rollout);
    }

    private static byte[] Image(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text), .. RandomNumberGenerator.GetBytes(2048)];

    [Fact]
    public async Task A_good_release_advances_through_every_ring_to_the_whole_fleet()
    {
        var fleet = await FleetAsync(200);
        var release = await server.PublishAsync(Image("rootfs 2.0.0"), "2.0.0", 2);
        await server.StartRolloutAsync("r-rings", release, rings: [new RingSpec(1m, 600), new RingSpec(10m, 600), new RingSpec(50m, 600), new RingSpec(100m, 0)]);

        var done = await DriveAsync("r-rings", fleet);

        Assert.Equal("completed", done.Status);
        Assert.All(done.Rings, ring => Assert.Equal(("passed", ring.TargetDevices), (ring.Status, ring.Succeeded)));
        Assert.Equal(200, done.Devices["succeeded"]);
        for (var i = 1; i < done.Rings.Count; i++)
        {
            Assert.True(done.Rings[i].ActivatedAt >= done.Rings[i - 1].SoakStartedAt!.Value.AddMinutes(10), $"ring {i} opened before ring {i - 1} soaked");
        }
        Assert.All(fleet, device =>
        {
            var status = device.Agent.Status;
            Assert.Equal((release.Id, "2.0.0", 2L, "b"), (status.Installed.ReleaseId, status.Installed.Version, status.Installed.SecurityVersion, status.Installed.Slot));
            Assert.Equal(2, status.SecurityVersionFloor);
            Assert.Equal(release.Image, File.ReadAllBytes(device.Slots.Slots.PathOf(Slot.B)));
        });
    }

    [Fact]
    public async Task A_release_failing_health_on_a_third_of_the_canary_pauses_there_and_the_canary_returns_to_the_old_release()
    {
        var verified = 0;
        var failing = new ConcurrentBag<string>();
        var fleet = await FleetAsync(150, (id, context) =>
        {
            // The old release (checked again on the trial boot of a roll-back) stays healthy.
            if (context.Target.Version == "1.0.0" || Interlocked.Increment(ref verified) % 3 != 0)
            {
                return HealthResult.Pass;
            }
            failing.Add(id);
            return HealthResult.Fail("navigation stack crashes at start");
        });
        // Same security version as the factory release: a release raising it could not be rolled back (one-way door).
        var release = await server.PublishAsync(Image("rootfs 2.1.0"), "2.1.0", 1);
        await server.StartRolloutAsync("r-bad", release, rings: [new RingSpec(20m, 600), new RingSpec(100m, 0)],
            errors: new ErrorThresholdSpec(FailedPercent: 20m, MinimumFinished: 5, Action: "pause"));

        var paused = await DriveAsync("r-bad", fleet);
        await CheckInAllAsync(fleet);

        Assert.Equal(("paused", "error-threshold"), (paused.Status, paused.StatusReason));
        Assert.Equal("pending", paused.Rings[1].Status);
        var assignments = await server.AssignmentsAsync("r-bad");
        var canary = assignments.Select(a => a.DeviceId).ToHashSet();
        Assert.All(assignments, a => Assert.Equal(0, a.Ring));
        Assert.InRange(failing.Count, canary.Count / 3 - 1, canary.Count / 3 + 1);
        Assert.All(fleet.Where(d => !canary.Contains(d.Id)), device =>
        {
            Assert.Equal(("1.0.0", "a"), (device.Agent.Status.Installed.Version, device.Agent.Status.Installed.Slot));
            Assert.NotEqual("install", device.Agent.Status.LastInstruction?.Kind);
        });
        Assert.All(fleet.Where(d => failing.Contains(d.Id)), device =>
        {
            Assert.Equal(("1.0.0", "a"), (device.Agent.Status.Installed.Version, device.Agent.Status.Installed.Slot));
            Assert.Equal("rolled-back", device.Agent.Status.LastPhase);
            Assert.Contains("navigation stack crashes", device.Agent.Status.LastFailureReason);
        });
        Assert.All(assignments.Where(a => failing.Contains(a.DeviceId)), a => Assert.Equal("rolled-back", a.Status));

        // The operator aborts: the canary devices that committed the release are ordered back and return to slot a.
        var aborted = await server.Operator.PostAsJsonAsync("rollouts/r-bad/abort", new { });
        await AgentFleetServer.EnsureAsync(aborted);
        Assert.True((await server.RolloutAsync("r-bad")).Devices["rollback-pending"] > 0);
        await CheckInAllAsync(fleet);
        await CheckInAllAsync(fleet);

        var after = await server.RolloutAsync("r-bad");
        Assert.Equal(0, after.Devices["rollback-pending"]);
        Assert.Equal(canary.Count, after.Devices["rolled-back"] + after.Devices["withdrawn"]);
        Assert.All(fleet, device => Assert.Equal(("1.0.0", "a"), (device.Agent.Status.Installed.Version, device.Agent.Status.Installed.Slot)));
    }

    [Fact]
    public async Task A_device_outside_its_maintenance_window_waits_until_it_opens()
    {
        var fleet = await FleetAsync(5);
        var release = await server.PublishAsync(Image("rootfs 2.0.0"), "2.0.0", 2);
        // The clock stands at 12:00 UTC; the window opens at 14:00 for an hour.
        await server.StartRolloutAsync("r-window", release, maintenance: new MaintenanceSpec([new MaintenanceWindowSpec("0 14 * * *", 3600, "UTC")]));

        await CheckInAllAsync(fleet);

        Assert.All(fleet, device =>
        {
            Assert.Equal(("hold", "outside-maintenance-window"), (device.Agent.Status.LastInstruction!.Kind, device.Agent.Status.LastInstruction.Reason));
            Assert.Equal("1.0.0", device.Agent.Status.Installed.Version);
        });
        Assert.Equal(0, (await server.RolloutAsync("r-window")).Devices["assigned"]);

        await server.AdvanceAsync(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5));
        await CheckInAllAsync(fleet);

        Assert.All(fleet, device => Assert.Equal("2.0.0", device.Agent.Status.Installed.Version));
        Assert.Equal(5, (await server.RolloutAsync("r-window")).Devices["succeeded"]);
    }

    [Fact]
    public async Task A_quarantined_or_revoked_device_gets_no_assignment()
    {
        var fleet = await FleetAsync(3);
        var (quarantined, revoked, healthy) = (fleet[0], fleet[1], fleet[2]);
        await AgentFleetServer.EnsureAsync(await server.Operator.PostAsJsonAsync($"devices/{quarantined.Id}/quarantine", new { reason = "suspicious traffic" }));
        await AgentFleetServer.EnsureAsync(await server.Operator.PostAsJsonAsync($"devices/{revoked.Id}/revoke", new { reason = "keyCompromise" }));
        var release = await server.PublishAsync(Image("rootfs 2.0.0"), "2.0.0", 2);
        await server.StartRolloutAsync("r-gate", release);

        var held = await quarantined.Agent.CheckInAsync(default);
        var refused = await Assert.ThrowsAsync<DeviceApiException>(() => revoked.Agent.CheckInAsync(default));
        var installed = await healthy.Agent.CheckInAsync(default);

        Assert.Equal(("hold", "gate-refused"), (held.Instruction.Kind, held.Instruction.Reason));
        Assert.Equal("1.0.0", held.Installed.Version);
        Assert.Equal(("device-unauthenticated", System.Net.HttpStatusCode.Unauthorized), (refused.Code, refused.Status));
        Assert.Equal("1.0.0", revoked.Agent.Status.Installed.Version);
        Assert.Equal("succeeded", installed.Reported[^1].Phase);
        var assignments = await server.AssignmentsAsync("r-gate");
        Assert.Equal([healthy.Id], assignments.Select(a => a.DeviceId));
    }
}

public sealed class SqliteAgentFleetTests() : AgentFleetTests(postgres: false);

public sealed class PostgresAgentFleetTests() : AgentFleetTests(postgres: true);
