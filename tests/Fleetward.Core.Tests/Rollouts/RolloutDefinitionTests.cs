using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class RolloutDefinitionTests
{
    private static void AssertSingleError(RolloutDefinition definition, string field)
    {
        var errors = definition.Validate();
        Assert.Contains(errors, e => e.Field == field);
        var ex = Assert.Throws<InvalidRolloutDefinitionException>(() => definition.EnsureValid());
        Assert.Contains(ex.Errors, e => e.Field == field);
    }

    [Fact]
    public void Sample_definition_is_valid()
    {
        Assert.Empty(RolloutSamples.Definition().Validate());
    }

    [Fact]
    public void Missing_id_is_named()
    {
        AssertSingleError(RolloutSamples.Definition() with { Id = " " }, "id");
    }

    [Fact]
    public void Release_fields_are_named()
    {
        var definition = RolloutSamples.Definition() with { Release = new ReleaseReference("", "", -1, (ReleaseChannel)9) };
        var fields = definition.Validate().Select(e => e.Field).ToList();
        Assert.Equal(["release.id", "release.version", "release.securityVersion", "release.channel"], fields);
    }

    [Fact]
    public void Rings_must_grow_strictly()
    {
        var rings = new[]
        {
            new RingDefinition(10m, TimeSpan.Zero, 90m, false),
            new RingDefinition(10m, TimeSpan.Zero, 90m, false),
            new RingDefinition(100m, TimeSpan.Zero, 90m, false),
        };
        AssertSingleError(RolloutSamples.Definition(rings: rings), "rings[1].cumulativePercent");
    }

    [Fact]
    public void Last_ring_must_reach_everyone()
    {
        AssertSingleError(RolloutSamples.Definition(rings: [new RingDefinition(50m, TimeSpan.Zero, 90m, false)]), "rings[0].cumulativePercent");
    }

    [Fact]
    public void Ring_percent_has_at_most_two_decimals()
    {
        var rings = new[] { new RingDefinition(0.005m, TimeSpan.Zero, 90m, false), new RingDefinition(100m, TimeSpan.Zero, 90m, false) };
        AssertSingleError(RolloutSamples.Definition(rings: rings), "rings[0].cumulativePercent");
    }

    [Fact]
    public void No_rings_is_refused()
    {
        AssertSingleError(RolloutSamples.Definition(rings: []), "rings");
    }

    [Fact]
    public void Ring_soak_and_success_threshold_are_checked()
    {
        var rings = new[] { new RingDefinition(100m, TimeSpan.FromMinutes(-1), 0m, false) };
        var fields = RolloutSamples.Definition(rings: rings).Validate().Select(e => e.Field).ToList();
        Assert.Equal(["rings[0].minimumSoak", "rings[0].successThresholdPercent"], fields);
    }

    [Fact]
    public void Error_threshold_needs_a_count_or_percentage()
    {
        AssertSingleError(RolloutSamples.Definition(errorThreshold: new ErrorThreshold(null, null, 1, ErrorThresholdAction.Abort)), "errorThreshold");
    }

    [Fact]
    public void Error_threshold_fields_are_named()
    {
        var fields = RolloutSamples.Definition(errorThreshold: new ErrorThreshold(0, 101m, 0, (ErrorThresholdAction)5))
            .Validate().Select(e => e.Field).ToList();
        Assert.Equal(["errorThreshold.failedCount", "errorThreshold.failedPercent", "errorThreshold.minimumFinished", "errorThreshold.action"], fields);
    }

    [Fact]
    public void Rate_timeout_and_retries_are_checked()
    {
        var definition = RolloutSamples.Definition(maxDevicesPerMinute: 0, maxRetries: 11) with { InstallTimeout = TimeSpan.Zero };
        var fields = definition.Validate().Select(e => e.Field).ToList();
        Assert.Equal(["maxDevicesPerMinute", "installTimeout", "maxRetries"], fields);
    }

    [Fact]
    public void Window_duration_is_bounded()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromDays(8), TimeZoneInfo.Utc);
        AssertSingleError(RolloutSamples.Definition(maintenance: new MaintenancePolicy([window], false)), "maintenance.windows[0].duration");
    }

    [Fact]
    public void Selection_entries_must_not_be_empty()
    {
        var selection = new DeviceSelection(tags: [""], currentVersions: [" "], deviceIds: [""]);
        var fields = RolloutSamples.Definition(selection: selection).Validate().Select(e => e.Field).ToList();
        Assert.Equal(["selection.tags[0]", "selection.currentVersions[0]", "selection.deviceIds[0]"], fields);
    }

    [Fact]
    public void Bucket_limits_follow_cumulative_percentages()
    {
        var definition = RolloutSamples.Definition();
        Assert.Equal([100, 1000, 10000], Enumerable.Range(0, 3).Select(definition.BucketLimit));
    }
}
