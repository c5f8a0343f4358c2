using Fleetward.Agent.Runtime;
using Fleetward.Simulator.Drills;
using Xunit.Abstractions;

namespace Fleetward.Simulator.Tests.Fleet;

/// <summary>The named drills against a real server, in virtual time: each stages its attack and reports the defence.</summary>
public sealed class DrillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Stolen_certificate_tamper_malicious_mirror_and_geofence_drills_are_defended()
    {
        await using var rig = await SimulatedFleetRig.StartAsync(5, new AgentIntervals(Minute, Minute, Minute));
        await rig.Server.PublishAsync("1.1.0", 2);
        Assert.Equal(5, await rig.Fleet.EnrollAsync(default));
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(3), default);
        var context = DrillContext.Virtual(rig.Fleet, rig.Server.Operator, rig.Clock) with { Patience = TimeSpan.FromMinutes(5) };

        var stolen = await RunAsync(new StolenCertificateDrill(), context with { TargetDevice = "robot-0001" });
        var tamper = await RunAsync(new ChassisTamperDrill(), context with { TargetDevice = "robot-0002" });
        var mirror = await RunAsync(new TamperedArtifactDrill(), context with { TargetDevice = "robot-0003" });
        var geofence = await RunAsync(new GeofenceBreachDrill(), context with { TargetDevice = "robot-0004" });

        Assert.Equal(DrillVerdict.Defended, stolen.Verdict);
        Assert.Contains(stolen.Steps, s => s.What.Contains("before revocation: Accepted", StringComparison.Ordinal));
        Assert.Equal(DrillVerdict.Defended, tamper.Verdict);
        Assert.InRange(tamper.TimeToDetect!.Value, TimeSpan.Zero, 2 * Minute);
        Assert.Equal(DrillVerdict.Defended, mirror.Verdict);
        Assert.Contains(mirror.Steps, s => s.What.StartsWith("TUF client refused", StringComparison.Ordinal));
        Assert.Equal(DrillVerdict.Defended, geofence.Verdict);
    }

    [Fact]
    public async Task Downgrade_and_bad_release_drills_are_defended_after_a_good_release_went_out()
    {
        // One model: a rollout selects the one hardware model it goes to, and the drills roll out to the release's first.
        await using var rig = await SimulatedFleetRig.StartAsync(6, new AgentIntervals(Minute, Minute, Minute),
            adjust: options => options with { Models = [Fleetward.Simulator.Behaviour.RobotProfile.All[0]] });
        await rig.Server.PublishAsync("1.0.0", 1);
        await rig.Server.PublishAsync("1.1.0", 2);
        Assert.Equal(6, await rig.Fleet.EnrollAsync(default));
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(2), default);
        var releases = await rig.Server.Operator.ReleasesAsync(default);
        await rig.Server.Operator.StartRolloutAsync(releases.Single(r => r.Version == "1.1.0"), [.. rig.Fleet.Robots.Select(r => r.DeviceId)], [100m], 50m, default);
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(5), default);
        output.WriteLine(rig.Fleet.Counters().ToString());
        Assert.All(rig.Fleet.Robots, r => Assert.Equal("1.1.0", r.Status.Installed.Version));

        var context = DrillContext.Virtual(rig.Fleet, rig.Server.Operator, rig.Clock) with { Patience = TimeSpan.FromMinutes(10) };
        var downgrade = await RunAsync(new DowngradeDrill(), context with { TargetDevice = "robot-0000" });
        Assert.Equal(DrillVerdict.Defended, downgrade.Verdict);
        Assert.Equal("1.1.0", rig.Fleet.Robot("robot-0000").Status.Installed.Version);

        await rig.Server.PublishAsync("1.2.0", 3);
        var bad = await RunAsync(new BadReleaseDrill { Version = "1.2.0", FailingShare = 1.0 }, context);
        Assert.Equal(DrillVerdict.Defended, bad.Verdict);
        Assert.All(rig.Fleet.Robots, r => Assert.NotEqual("1.2.0", r.Status.Installed.Version));
        Assert.True(rig.Fleet.Counters().RolledBack >= 1);
        Assert.NotEmpty(bad.Devices);
    }

    private async Task<DrillReport> RunAsync(IFleetDrill drill, DrillContext context)
    {
        var report = await drill.RunAsync(context, default);
        output.WriteLine($"{drill.Name}: {report.Verdict}: {report.Summary}");
        foreach (var step in report.Steps) output.WriteLine($"  {step.At:HH:mm:ss} {step.What}");
        return report;
    }
}
