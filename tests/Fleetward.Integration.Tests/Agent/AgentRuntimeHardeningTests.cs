using System.Net.Http.Json;
using System.Security.Cryptography;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Server.Rollouts;

namespace Fleetward.Integration.Tests.Agent;

/// <summary>
/// Findings of the security review of the agent runtime, each driven through one real agent against the real server:
/// the agent survives what it cannot carry out, and leaves the boot environment and its records in a state it can trust.
/// </summary>
public sealed class AgentRuntimeHardeningTests(AgentEndToEndTests.ServerFixture fixture) : IClassFixture<AgentEndToEndTests.ServerFixture>
{
    private readonly AgentFleetServer server = fixture.Server;

    private async Task<VirtualDevice> DeviceAsync(string id, Func<HealthCheckContext, HealthResult>? health = null)
    {
        await server.CreateGroupAsync("g-" + id, "m-" + id);
        return await server.NewDeviceAsync("g-" + id, id, health, model: "m-" + id);
    }

    private Task<PublishedRelease> PublishAsync(VirtualDevice device, string version, long securityVersion) =>
        server.PublishAsync(Image($"rootfs {version} for {device.Model}"), version, securityVersion, hardware: device.Model, fileName: device.Model + ".img");

    private Task<RolloutView> RolloutAsync(VirtualDevice device, string id, PublishedRelease release) =>
        server.StartRolloutAsync(id, release, selection: new SelectionSpec(Model: device.Model));

    private static byte[] Image(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text), .. RandomNumberGenerator.GetBytes(4096)];

    [Fact]
    public async Task An_install_the_installer_refuses_is_reported_failed_and_the_agent_keeps_running()
    {
        await using var device = await DeviceAsync("harden-1");
        // A trial boot left armed: the installer refuses to start (InvalidOperationException) on every attempt.
        device.Slots.BootControl.Write(device.Slots.BootControl.Read() with { UpgradeAvailable = true });
        await RolloutAsync(device, "r-unsettled", await PublishAsync(device, "2.0.0", 2));
        Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);

        await device.Agent.RunDueAsync(default);

        Assert.Equal("failed", device.Agent.Status.LastPhase);
        Assert.Contains("boot environment is not settled", device.Agent.Status.LastFailureReason);
        Assert.Equal("failed", Assert.Single(await server.AssignmentsAsync("r-unsettled")).Status);
    }

    [Fact]
    public async Task A_slot_switch_that_did_not_take_points_the_boot_environment_back_at_the_running_slot()
    {
        var id = "harden-3";
        await using (var first = await DeviceAsync(id))
        {
            Assert.True(await first.Agent.EnsureEnrolledAsync(default), first.Agent.Status.LastError);
        }
        // A roll-back switch journaled, the boot environment already pointing at slot b, but the device came back on a.
        var state = Path.Combine(server.AgentRoot, id);
        File.WriteAllText(Path.Combine(state, "agent", "update.json"),
            """{"kind":"roll-back","rolloutId":"r-gone","attempt":null,"target":null,"rollbackToVersion":"0.9.0","phase":"rebooting","reason":null,"finalReported":false}""");
        var slots = SimulatedSlotDevice.Open(Path.Combine(state, "slots"));
        slots.BootControl.Write(slots.BootControl.Read() with { Slot = Slot.B });
        await using var device = VirtualDevice.Create(server, id, EnrollmentCredential.WithToken("unused"), model: "m-" + id);

        await device.Agent.RunDueAsync(default);

        Assert.Equal("rollback-failed", device.Agent.Status.LastPhase);
        var environment = device.Slots.BootControl.Read();
        Assert.Equal((Slot.A, false, 0), (environment.Slot, environment.UpgradeAvailable, environment.BootCount));
    }

    [Fact]
    public async Task An_image_that_failed_its_health_check_is_no_rollback_target()
    {
        await using var device = await DeviceAsync("harden-4", _ => HealthResult.Fail("motor controller does not answer"));
        await RolloutAsync(device, "r-unhealthy", await PublishAsync(device, "2.0.0", 1));

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal("rolled-back", outcome.Reported[^1].Phase);
        var releases = new SlotReleaseFile(Path.Combine(device.State, "agent", "slot-releases.json"));
        Assert.Equal("1.0.0", releases.Get(Slot.A)?.Version);
        Assert.Null(releases.Get(Slot.B));
    }

    [Fact]
    public async Task A_finished_journal_of_an_earlier_attempt_is_not_trusted_after_a_power_loss()
    {
        var id = "harden-5";
        await using (var first = await DeviceAsync(id))
        {
            Assert.True(await first.Agent.EnsureEnrolledAsync(default), first.Agent.Status.LastError);
        }
        var model = "m-" + id;
        var release = await server.PublishAsync(Image($"rootfs 2.0.0 for {model}"), "2.0.0", 2, hardware: model, fileName: model + ".img");
        var slots = SimulatedSlotDevice.Open(Path.Combine(server.AgentRoot, id, "slots"));
        // An earlier attempt at the same release finished (its journal says succeeded into slot b).
        slots.Journal.Save(new InstallJournal(release.Id, Slot.B, Slot.A, release.Image.Length, release.Sha256, InstallPhase.Succeeded, null));
        await server.StartRolloutAsync("r-power", release, selection: new SelectionSpec(Model: model));
        using var powerLoss = new CancellationTokenSource();
        await using (var cut = Agent(id, slots, entry =>
        {
            if (entry.Event == "update.phase" && entry.Message.EndsWith(": installing", StringComparison.Ordinal))
            {
                powerLoss.Cancel();
            }
        }))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cut.CheckInAsync(powerLoss.Token));
        }

        await using var restarted = Agent(id, slots, null);
        var outcome = await restarted.CheckInAsync(default);

        Assert.Equal("failed", outcome.Reported[0].Phase);
        Assert.Contains("interrupted before the image reached the inactive slot", outcome.Reported[0].FailureReason);
        Assert.Equal(("1.0.0", 1L), (restarted.Status.Installed.Version, restarted.Status.SecurityVersionFloor));
    }

    private DeviceAgent Agent(string id, SimulatedSlotDevice slots, Action<AgentLogEntry>? log) =>
        new(new DeviceAgentOptions(server.DeviceUrl, id, Path.Combine(server.AgentRoot, id, "agent"), server.FleetRoot, EnrollmentCredential.WithToken("unused"), "m-" + id,
                server.TufRoot, new FactoryRelease(AgentFleetServer.FactoryVersion, AgentFleetServer.FactorySecurityVersion)),
            new DeviceAgentPorts(server.Clock, new Random(5), new SyntheticSnapshots(server.Clock, 5), AgentSlots.Simulated(slots)) { Log = log });

    [Fact]
    public void A_production_device_without_a_provisioned_command_key_refuses_to_start()
    {
        var state = Path.Combine(server.AgentRoot, "harden-11");
        var slots = SimulatedSlotDevice.Create(Path.Combine(state, "slots"), VirtualDevice.FactoryImage);
        var options = new DeviceAgentOptions(server.DeviceUrl, "harden-11", Path.Combine(state, "agent"), server.FleetRoot, EnrollmentCredential.WithToken("unused"),
            AgentFleetServer.Model, server.TufRoot, new FactoryRelease(AgentFleetServer.FactoryVersion, AgentFleetServer.FactorySecurityVersion)) { ProductionDevice = true };

        var refused = Assert.Throws<ArgumentException>(() => new DeviceAgent(options,
            new DeviceAgentPorts(server.Clock, new Random(11), new SyntheticSnapshots(server.Clock, 11), AgentSlots.Simulated(slots))));

        Assert.Contains("CommandKey", refused.Message);
        Assert.Contains("production device", refused.Message);
    }

    [Fact]
    public async Task A_roll_back_boots_the_old_slot_on_trial_and_returns_when_it_fails_its_health_check()
    {
        await using var device = await DeviceAsync("harden-4b", context =>
            context.Target.Version == "1.0.0" ? HealthResult.Fail("the old image lost its calibration") : HealthResult.Pass);
        // The ring soaks for an hour (the test's clock stands still), so the rollout is still open when it is aborted.
        await server.StartRolloutAsync("r-trial", await PublishAsync(device, "2.0.0", 1), rings: [new RingSpec(100m, MinimumSoakSeconds: 3600)],
            selection: new SelectionSpec(Model: device.Model));
        Assert.Equal("succeeded", (await device.Agent.CheckInAsync(default)).Reported[^1].Phase);
        await AgentFleetServer.EnsureAsync(await server.Operator.PostAsJsonAsync("rollouts/r-trial/abort", new { }));

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal("rollback-failed", outcome.Reported[^1].Phase);
        Assert.Contains("the old image lost its calibration", outcome.Reported[^1].FailureReason);
        Assert.Equal(("2.0.0", "b"), (outcome.Installed.Version, outcome.Installed.Slot));
        var environment = device.Slots.BootControl.Read();
        Assert.Equal((Slot.B, false), (environment.Slot, environment.UpgradeAvailable));
        Assert.Null(new SlotReleaseFile(Path.Combine(device.State, "agent", "slot-releases.json")).Get(Slot.A));
    }
}
