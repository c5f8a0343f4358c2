using System.Security.Cryptography;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Runtime;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Detection;
using Fleetward.Trust.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Simulator.Tests.Fleet;

/// <summary>
/// Issue 7, proof: commands that reach a robot through the server's own queue and its mutual TLS command route, but are
/// forged, replayed, expired or addressed to another device, are refused by the robot's agent, which reports each
/// refusal back to the server. The queue is written directly, as an attacker who owns the database or the server would.
/// </summary>
public sealed class SignedCommandEndToEndTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_forged_replayed_expired_or_wrong_device_command_is_refused_by_the_agent_and_the_refusal_reported()
    {
        await using var rig = await SimulatedFleetRig.StartAsync(2, new AgentIntervals(Minute, Minute, Minute));
        Assert.Equal(2, await rig.Fleet.EnrollAsync(default));
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(2), default);
        var robot = rig.Fleet.Robot("robot-0000");
        var store = rig.Server.Services.GetRequiredService<IFleetStore>();
        var serverKey = rig.Server.Services.GetRequiredService<ServerCommandKey>();
        var server = new CommandSigner(serverKey.Key);
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = rig.Clock.GetUtcNow();

        // A genuine command first, executed, so its nonce is known to the robot.
        var genuine = DeviceCommand.Create(CommandType.Release, robot.DeviceId, now, TimeSpan.FromHours(1));
        await QueueAsync(store, robot.DeviceId, "genuine", DeviceCommandKind.Release, server.Sign(genuine).ToJson(), now);
        var first = await robot.Agent.ProcessCommandsAsync(default);
        Assert.Equal(CommandOutcomeKind.Executed, Assert.Single(first).Outcome.Kind);

        await QueueAsync(store, robot.DeviceId, "forged", DeviceCommandKind.Isolate,
            new CommandSigner(attackerKey).Sign(DeviceCommand.Create(CommandType.Isolate, robot.DeviceId, now, TimeSpan.FromHours(1))).ToJson(), now);
        await QueueAsync(store, robot.DeviceId, "replayed", DeviceCommandKind.Release, server.Sign(genuine).ToJson(), now);
        await QueueAsync(store, robot.DeviceId, "expired", DeviceCommandKind.Isolate,
            server.Sign(DeviceCommand.Create(CommandType.Isolate, robot.DeviceId, now - TimeSpan.FromHours(3), TimeSpan.FromHours(1))).ToJson(), now);
        await QueueAsync(store, robot.DeviceId, "wrong-device", DeviceCommandKind.Isolate,
            server.Sign(DeviceCommand.Create(CommandType.Isolate, "robot-0001", now, TimeSpan.FromHours(1))).ToJson(), now);

        var results = (await robot.Agent.ProcessCommandsAsync(default)).ToDictionary(r => r.CommandId);

        Assert.Equal(CommandRefusal.BadSignature, results["forged"].Outcome.Refusal);
        Assert.Equal(CommandRefusal.Replayed, results["replayed"].Outcome.Refusal);
        Assert.Equal(CommandRefusal.Expired, results["expired"].Outcome.Refusal);
        Assert.Equal(CommandRefusal.WrongDevice, results["wrong-device"].Outcome.Refusal);
        Assert.All(results.Values, r => Assert.Equal(CommandOutcomeKind.Refused, r.Outcome.Kind));
        Assert.False(robot.Status.Isolated);
        await using var read = await store.ReadAsync();
        var recorded = (await read.DeviceCommands.ListForDeviceAsync(robot.DeviceId, 20)).ToDictionary(c => c.Id);
        Assert.All(["forged", "replayed", "expired", "wrong-device"], id => Assert.Equal(DeviceCommandStatus.Refused, recorded[id].Status));
        Assert.Equal(DeviceCommandStatus.Completed, recorded["genuine"].Status);
    }

    /// <summary>Puts an envelope on the device's queue as if the server had issued it (valid for the queue for an hour).</summary>
    private static async Task QueueAsync(IFleetStore store, string deviceId, string id, DeviceCommandKind kind, string envelope, DateTimeOffset now)
    {
        await using var work = await store.BeginAsync();
        await work.DeviceCommands.InsertAsync(new StoredDeviceCommand(id, deviceId, kind, null, envelope, DeviceCommandStatus.Pending,
            now, now + TimeSpan.FromHours(1), null, null, null));
        await work.CommitAsync();
    }
}
