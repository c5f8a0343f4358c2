using Fleetward.Core.Devices;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class DashboardPagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static Device Device(string id, string model, DeviceLifecycleState state, DateTimeOffset? lastSeen) =>
        new(id, model, null, [], state, Now.AddDays(-10), lastSeen, lastSeen);

    [Fact]
    public void Overview_counts_states_models_and_recent_check_ins()
    {
        var overview = FleetOverview.From(
        [
            Device("a", "rover", DeviceLifecycleState.Active, Now.AddMinutes(-5)),
            Device("b", "rover", DeviceLifecycleState.Quarantined, Now.AddHours(-30)),
            Device("c", "drone", DeviceLifecycleState.Pending, null),
            Device("d", "arm", DeviceLifecycleState.Active, Now.AddHours(-2)),
        ], Now);
        Assert.Equal(4, overview.Total);
        Assert.Equal(2, overview.ByState[DeviceLifecycleState.Active]);
        Assert.Equal(0, overview.ByState[DeviceLifecycleState.Decommissioned]);
        Assert.Equal([("rover", 2L), ("arm", 1L), ("drone", 1L)], overview.ByModel);
        Assert.Equal(2, overview.SeenLastDay);
        Assert.Equal(["a", "d", "b"], overview.RecentlySeen.Select(d => d.Id));
    }

    [Fact]
    public void Models_beyond_the_top_are_summed_as_other()
    {
        var devices = Enumerable.Range(0, 12).Select(i => Device($"d{i:D2}", $"model-{i % 10}", DeviceLifecycleState.Active, null));
        var overview = FleetOverview.From(devices, Now, topModels: 3);
        Assert.Equal(4, overview.ByModel.Count);
        Assert.Equal(("other (7 models)", 7L), overview.ByModel[^1]);
        Assert.Equal(12, overview.ByModel.Sum(m => m.Count));
    }

    [Fact]
    public void Recently_seen_keeps_the_latest_few_of_a_large_fleet()
    {
        var devices = Enumerable.Range(0, 500).Select(i => Device($"d{i:D3}", "rover", DeviceLifecycleState.Active, Now.AddMinutes(-((i * 7919) % 500))));
        var recent = FleetOverview.From(devices, Now, recent: 3).RecentlySeen;
        Assert.Equal([Now, Now.AddMinutes(-1), Now.AddMinutes(-2)], recent.Select(d => d.LastSeenAt!.Value));
    }

    [Fact]
    public void Empty_filter_fields_mean_any_and_the_link_keeps_the_filters()
    {
        var filter = DeviceListFilter.Parse(new QueryCollection(new Dictionary<string, StringValues>
        {
            ["state"] = "quarantined", ["model"] = "", ["tag"] = "site:north & co", ["after"] = " ",
        }));
        Assert.Equal(new DeviceListFilter(DeviceLifecycleState.Quarantined, null, "site:north & co", null), filter);
        Assert.Equal("/dashboard/devices?state=quarantined&tag=site%3Anorth%20%26%20co&after=robot-9", filter.Href(after: "robot-9"));
    }

    [Theory]
    [InlineData("state", "lost")]
    [InlineData("color", "red")]
    public void Bad_filters_name_the_parameter(string key, string value)
    {
        var error = Assert.Throws<ProblemException>(() => DeviceListFilter.Parse(new QueryCollection(new Dictionary<string, StringValues> { [key] = value })));
        Assert.Equal(key, error.Problem.Field);
    }
}

public sealed class DashboardLayoutTests
{
    [Theory]
    [InlineData(-30.0 * 24 * 60, "in 30 d")]
    [InlineData(-0.5, "in under a minute")]
    [InlineData(0.2, "just now")]
    [InlineData(5, "5 min ago")]
    [InlineData(3 * 60, "3 h ago")]
    [InlineData(47 * 60, "47 h ago")]
    [InlineData(12 * 24 * 60, "12 d ago")]
    public void Ages_read_naturally_in_both_directions(double minutes, string expected)
    {
        Assert.Equal(expected, Fleetward.Server.Dashboard.DashboardLayout.Age(TimeSpan.FromMinutes(minutes)));
    }
}
