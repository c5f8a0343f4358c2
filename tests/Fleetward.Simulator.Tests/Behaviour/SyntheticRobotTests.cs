using System.Net;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.Detection;
using Fleetward.Simulator.Behaviour;

namespace Fleetward.Simulator.Tests.Behaviour;

public sealed class SyntheticRobotTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 8444);

    private static SyntheticRobot Robot(RobotProfile profile, int index = 3, ulong seed = 42) =>
        new(profile, RobotSite.Default[index % RobotSite.Default.Count], index, $"robot-{index}", seed, Server, Start);

    private static IEnumerable<SystemSnapshot> Day(SyntheticRobot robot, TimeSpan step)
    {
        for (var at = Start; at < Start.AddDays(1); at += step) yield return robot.Sample(at);
    }

    [Fact]
    public void The_same_seed_replays_the_same_robot_and_another_seed_does_not()
    {
        var a = Day(Robot(RobotProfile.LawnMower), TimeSpan.FromMinutes(10)).Select(s => (s.CpuUsage, s.Sensors.PowerDrawWatts, s.Sensors.Position)).ToList();
        var b = Day(Robot(RobotProfile.LawnMower), TimeSpan.FromMinutes(10)).Select(s => (s.CpuUsage, s.Sensors.PowerDrawWatts, s.Sensors.Position)).ToList();
        var c = Day(Robot(RobotProfile.LawnMower, seed: 43), TimeSpan.FromMinutes(10)).Select(s => (s.CpuUsage, s.Sensors.PowerDrawWatts, s.Sensors.Position)).ToList();

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("mower-m3")]
    [InlineData("drone-d2")]
    public void A_benign_robot_reports_every_fix_inside_its_fence_by_more_than_the_fix_accuracy(string model)
    {
        for (var index = 0; index < 20; index++)
        {
            var robot = Robot(RobotProfile.ByModel(model), index);
            var fence = robot.Geofence!;
            foreach (var snapshot in Day(robot, TimeSpan.FromMinutes(1)))
            {
                var fix = snapshot.Sensors.Position!;
                Assert.True(fence.SignedDistanceMeters(new GeoPoint(fix.Latitude, fix.Longitude)) < -(fix.AccuracyMeters ?? 0),
                    $"{robot.DeviceId} at {snapshot.CollectedAt:O} is near or outside its fence");
            }
        }
    }

    [Fact]
    public void Indoor_robots_report_no_position()
    {
        Assert.All(Day(Robot(RobotProfile.WarehouseRobot), TimeSpan.FromHours(1)), s => Assert.Null(s.Sensors.Position));
    }

    [Fact]
    public void Power_follows_activity_so_a_mower_draws_more_when_mowing_than_on_its_dock()
    {
        var robot = Robot(RobotProfile.LawnMower, index: 1);
        var samples = Enumerable.Range(0, 7 * 24 * 6).Select(i => Start.AddMinutes(10 * i))
            .Select(at => (Activity: robot.Activity(at), Power: robot.Sample(at).Sensors.PowerDrawWatts!.Value)).ToList();

        var working = samples.Where(s => s.Activity > 0.5).Select(s => s.Power).ToList();
        var docked = samples.Where(s => s.Activity < 0.1).Select(s => s.Power).ToList();
        Assert.NotEmpty(working);
        Assert.NotEmpty(docked);
        Assert.True(working.Average() > 5 * docked.Average());
    }

    [Fact]
    public void Work_follows_the_local_day_so_no_mower_or_drone_works_at_three_in_the_morning()
    {
        for (var index = 0; index < 30; index++)
        {
            foreach (var profile in new[] { RobotProfile.LawnMower, RobotProfile.DeliveryDrone })
            {
                var robot = Robot(profile, index);
                var night = Start.AddDays(index % 5).AddHours(3) - robot.Site.UtcOffset;
                Assert.Equal(0, robot.Activity(night));
            }
        }
    }

    [Fact]
    public void Traffic_counters_only_grow_within_a_boot_and_start_over_after_a_reboot()
    {
        var robot = Robot(RobotProfile.DeliveryDrone);
        var first = robot.Sample(Start);
        var second = robot.Sample(Start.AddMinutes(1));
        Assert.True(second.ExternalTraffic.SentBytes > first.ExternalTraffic.SentBytes);
        Assert.Equal(first.Reboots, second.Reboots);

        robot.Reboot(Start.AddMinutes(2));
        var third = robot.Sample(Start.AddMinutes(3));

        Assert.True(third.ExternalTraffic.SentBytes < second.ExternalTraffic.SentBytes);
        Assert.Equal(second.Reboots.Reboots + 1, third.Reboots.Reboots);
        Assert.NotEqual(second.Reboots.BootId, third.Reboots.BootId);
        Assert.Equal(TimeSpan.FromMinutes(1), third.Uptime);
    }

    [Fact]
    public void Benign_reboots_are_rare_and_never_come_in_bursts()
    {
        var reboots = 0;
        for (var index = 0; index < 100; index++)
        {
            var robot = Robot(RobotProfile.All[index % 3], index);
            var before = robot.Sample(Start).Reboots.Reboots;
            var perHour = new Dictionary<long, int>();
            for (var at = Start; at < Start.AddDays(10); at += TimeSpan.FromMinutes(5))
            {
                var count = robot.Sample(at).Reboots.Reboots;
                if (count > before) perHour[at.ToUnixTimeSeconds() / 3600] = perHour.GetValueOrDefault(at.ToUnixTimeSeconds() / 3600) + (int)(count - before);
                before = count;
            }
            Assert.All(perHour.Values, n => Assert.True(n < 3));
            reboots += perHour.Values.Sum();
        }
        // About 2 % per device-day: 1,000 device-days give a handful to a few dozen.
        Assert.InRange(reboots, 5, 40);
    }

    [Fact]
    public void A_benign_robot_keeps_the_same_services_and_peers_all_day()
    {
        var robot = Robot(RobotProfile.WarehouseRobot);
        var snapshots = Day(robot, TimeSpan.FromMinutes(15)).ToList();

        Assert.Single(snapshots.Select(s => string.Join(",", s.Listeners.Select(l => $"{l.Protocol}/{l.Local.Port}/{l.Inode}"))).Distinct());
        Assert.All(snapshots, s => Assert.Empty(s.Processes.DeletedExecutables));
        var peers = snapshots.SelectMany(s => s.EstablishedConnections).Select(c => c.Remote).Distinct().ToList();
        Assert.Equal(1 + RobotProfile.WarehouseRobot.Destinations.Count, peers.Count);
        Assert.Contains(Server, peers);
    }

    [Fact]
    public void A_mirai_infection_shows_a_telnet_scan_a_taken_over_port_and_a_deleted_executable()
    {
        var robot = Robot(RobotProfile.LawnMower);
        var healthy = robot.Sample(Start);
        robot.Condition = RobotCondition.None with { Mirai = new MiraiInfection(Start) };
        var infected = robot.Sample(Start.AddMinutes(1));

        var telnet = infected.EstablishedConnections.Where(c => c.Remote.Port is 23 or 2323).ToList();
        Assert.True(telnet.Select(c => c.Remote.Address).Distinct().Count() >= 25);
        Assert.All(telnet, c => Assert.Equal(0x02, c.State));
        Assert.NotEqual(healthy.Listeners.Single(l => l.Local.Port == 22).Inode, infected.Listeners.Single(l => l.Local.Port == 22).Inode);
        Assert.Equal("/tmp/dvrHelper", Assert.Single(infected.Processes.DeletedExecutables).ExecutablePath);
    }

    [Fact]
    public void Tamper_and_displacement_drills_change_the_sensors_on_the_next_sample()
    {
        var robot = Robot(RobotProfile.LawnMower);
        var away = new GeoPoint(robot.Site.Base.Latitude + 0.05, robot.Site.Base.Longitude);
        robot.Condition = RobotCondition.None with { TamperOpen = true, DisplacedTo = away };

        var sensors = robot.Sample(Start).Sensors;

        Assert.True(sensors.TamperOpen);
        Assert.True(robot.Geofence!.SignedDistanceMeters(new GeoPoint(sensors.Position!.Latitude, sensors.Position.Longitude)) > 5_000);
    }
}
