using Fleetward.Cli.Commands.Demo;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Endpoints;

namespace Fleetward.Server.Tests.Cli;

public sealed class DemoRolloutPlanTests
{
    private static IReadOnlyList<string> Fleet(int size) => [.. Enumerable.Range(0, size).Select(i => $"robot-{i:D4}")];

    private static PublishedDemoRelease Release(DemoRelease release) => new(release, new ReleaseEndpoints.ReleaseView(
        "rel_" + release.Version, release.Version, release.SecurityVersion, "stable", "signed", "stable/x.img", "targets", DemoReleases.Hardware,
        1, "00", "00", null, DateTimeOffset.UnixEpoch, "admin", 1, DateTimeOffset.UnixEpoch));

    private static int InRing(string rolloutId, IEnumerable<string> devices, decimal percent)
    {
        var cohort = new RolloutCohort(rolloutId);
        return devices.Count(device => cohort.BucketOf(device) < (int)(percent * 100m));
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(30, 3)]
    [InlineData(100, 5)]
    [InlineData(300, 15)]
    public void The_canary_is_five_percent_of_the_fleet_and_at_least_three_robots(int fleet, int canary) =>
        Assert.Equal(canary, DemoRolloutPlan.CanarySize(fleet));

    [Theory]
    [InlineData("demo-update", 10, 3)]
    [InlineData("demo-update", 30, 3)]
    [InlineData("demo-faulty", 300, 15)]
    [InlineData("demo-faulty", 1000, 50)]
    public void The_canary_ring_holds_exactly_the_chosen_number_of_robots(string rolloutId, int fleet, int size)
    {
        var devices = Fleet(fleet);

        var percent = DemoRolloutPlan.CanaryPercent(rolloutId, devices, size);

        Assert.Equal(size, InRing(rolloutId, devices, percent));
    }

    [Fact]
    public void A_canary_larger_than_the_fleet_is_refused() =>
        Assert.Throws<ArgumentException>(() => DemoRolloutPlan.CanaryPercent("demo", Fleet(3), 4));

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    public void The_staged_rollout_opens_the_canary_then_widens_to_the_whole_fleet(int fleet)
    {
        var request = DemoRolloutPlan.Staged("demo-update", Release(DemoReleases.Update), Fleet(fleet));

        var percents = request.Rings.Select(ring => ring.CumulativePercent).ToList();
        Assert.Equal(100m, percents[^1]);
        Assert.Equal(100m, request.Rings[^1].SuccessThresholdPercent);
        Assert.True(percents.Zip(percents.Skip(1)).All(pair => pair.First < pair.Second), string.Join(",", percents));
        Assert.Equal(DemoRolloutPlan.CanarySoakSeconds, request.Rings[0].MinimumSoakSeconds);
        Assert.Equal("abort", request.ErrorThreshold!.Action);
        Assert.Equal("rel_" + DemoReleases.Update.Version, request.Release.Id);
        Assert.Equal(DemoReleases.Model.Model, request.Selection!.Model);
    }

    [Fact]
    public void The_gated_rollout_aborts_once_half_of_the_canary_has_failed()
    {
        var request = DemoRolloutPlan.Gated("demo-faulty", Release(DemoReleases.Faulty), Fleet(300));

        Assert.Equal(50m, request.ErrorThreshold!.FailedPercent);
        Assert.Equal(8, request.ErrorThreshold.MinimumFinished);
        Assert.Equal("abort", request.ErrorThreshold.Action);
    }

    [Fact]
    public void Release_images_are_the_same_for_a_version_and_differ_between_versions()
    {
        var first = DemoReleases.BuildImage(DemoReleases.Update);

        Assert.Equal(first, DemoReleases.BuildImage(DemoReleases.Update));
        Assert.NotEqual(first, DemoReleases.BuildImage(DemoReleases.Faulty));
        Assert.Equal(DemoReleases.ImageBytes, first.Length);
        Assert.StartsWith("FLEETWARD-DEMO-FIRMWARE", System.Text.Encoding.ASCII.GetString(first, 0, 32));
    }
}
