using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Simulator.Drills;
using Xunit.Abstractions;

namespace Fleetward.Simulator.Tests.Fleet;

/// <summary>
/// Issue 7, proof: a robot of a running fleet turns Mirai-like; the server detects it within one telemetry interval
/// from the robot's own telemetry over mutual TLS, quarantines it by the automatic playbook, and refuses its requests
/// beyond the quarantine allowance.
/// </summary>
public sealed class MiraiEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_robot_turning_mirai_like_is_detected_within_one_telemetry_interval_quarantined_and_refused_beyond_the_allowance()
    {
        await using var rig = await SimulatedFleetRig.StartAsync(10, new AgentIntervals(Minute, Minute, Minute));
        Assert.Equal(10, await rig.Fleet.EnrollAsync(default));
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(6), default);
        Assert.Empty(await rig.Server.Operator.IncidentsAsync(null, openOnly: false, 100, default));

        // What the robot holds before the incident, to replay afterwards.
        var robot = rig.Fleet.Robot("robot-0004");
        var identity = Path.Combine(robot.StateDirectory, "identity");
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(identity, "device.crt")));
        using var key = new FileDeviceKeyStore(Path.Combine(identity, "device.key")).Current();
        using var before = DeviceTlsClient.Join(certificate, key);

        var drill = DrillContext.Virtual(rig.Fleet, rig.Server.Operator, rig.Clock) with { TargetDevice = "robot-0004", Patience = TimeSpan.FromMinutes(5) };
        var report = await new MiraiInfectionDrill().RunAsync(drill, default);
        foreach (var step in report.Steps) output.WriteLine($"{step.At:HH:mm:ss} {step.What}");
        output.WriteLine(report.Summary);

        Assert.Equal(DrillVerdict.Defended, report.Verdict);
        // The robot reports every minute (±10 % jitter): the first infected report is at most one interval away.
        Assert.InRange(report.TimeToDetect!.Value, TimeSpan.Zero, Minute * 1.1 + TimeSpan.FromSeconds(15));
        Assert.Equal("quarantined", await rig.Server.Operator.DeviceStateAsync("robot-0004", default));
        var incident = Assert.Single(await rig.Server.Operator.IncidentsAsync("robot-0004", openOnly: false, 10, default));
        Assert.Equal("mirai-like", incident.Cause);
        // Nobody else was touched.
        Assert.All(rig.Fleet.Robots.Where(r => r.DeviceId != "robot-0004"), r => Assert.False(r.Status.Isolated));
        Assert.Single(await rig.Server.Operator.IncidentsAsync(null, openOnly: false, 100, default));

        // Beyond the allowance: the playbook rotated the robot's credentials, so what it held is refused outright, and
        // its attempt to enroll again with its factory identity is refused while it is quarantined.
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(3), default);
        using var replay = DeviceTlsClient.Create(rig.Server.DeviceAddress, rig.Server.FleetRoot, before);
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await replay.GetAsync("device/v1/commands");
            Assert.Fail($"the old certificate was answered {(int)response.StatusCode}");
        });
        output.WriteLine($"old credentials: {refused.GetType().Name}: {refused.Message}");
        Assert.IsType<HttpRequestException>(refused);
        Assert.Null(robot.Status.CertificateNotAfter);
        Assert.Contains("device.quarantined", robot.Status.LastError);
        Assert.Equal(1, rig.Fleet.Counters().Quarantined);
        await Assert.ThrowsAsync<InvalidOperationException>(() => robot.Agent.CheckInAsync(default));
    }
}
