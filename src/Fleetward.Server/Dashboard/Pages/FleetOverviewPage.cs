using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>Counts of the fleet at a glance, computed from the device registry.</summary>
public sealed record FleetOverview(
    IReadOnlyDictionary<DeviceLifecycleState, long> ByState,
    IReadOnlyList<(string Model, long Count)> ByModel,
    long SeenLastDay,
    IReadOnlyList<Device> RecentlySeen)
{
    public long Total => ByState.Values.Sum();

    /// <summary>
    /// Folds one pass over the registry into the overview. Models beyond <paramref name="topModels"/>
    /// are summed into "other" so the chart stays legible for fleets with many models.
    /// </summary>
    public static FleetOverview From(IEnumerable<Device> devices, DateTimeOffset now, int topModels = 8, int recent = 6)
    {
        var byState = Enum.GetValues<DeviceLifecycleState>().ToDictionary(state => state, _ => 0L);
        var byModel = new Dictionary<string, long>(StringComparer.Ordinal);
        var seenLastDay = 0L;
        var recentlySeen = new List<Device>();
        foreach (var device in devices)
        {
            byState[device.State]++;
            byModel[device.Model] = byModel.GetValueOrDefault(device.Model) + 1;
            if (device.LastSeenAt is { } seen)
            {
                if (now - seen <= TimeSpan.FromDays(1))
                {
                    seenLastDay++;
                }
                recentlySeen.Add(device);
                if (recentlySeen.Count > recent * 4)
                {
                    recentlySeen = [.. recentlySeen.OrderByDescending(d => d.LastSeenAt).Take(recent)];
                }
            }
        }
        var models = byModel.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).ToList();
        var shown = models.Take(topModels).Select(pair => (pair.Key, pair.Value)).ToList();
        if (models.Count > topModels)
        {
            shown.Add(($"other ({models.Count - topModels} models)", models.Skip(topModels).Sum(pair => pair.Value)));
        }
        return new FleetOverview(byState, shown, seenLastDay,
            [.. recentlySeen.OrderByDescending(d => d.LastSeenAt).ThenBy(d => d.Id, StringComparer.Ordinal).Take(recent)]);
    }
}

/// <summary>The landing page: how many devices, in which states, of which models, and which were heard from last.</summary>
public sealed class FleetOverviewPage(IFleetStore store) : IDashboardPage
{
    private const int PageSize = 1000;

    public string Route => "/";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Overview", 10);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var overview = FleetOverview.From(await AllDevicesAsync(request.Aborted), request.Now);
        return new DashboardView("Fleet overview", html => Render(html, overview, request.Now));
    }

    /// <summary>One keyset-paged pass over the registry (the store has no aggregate query yet).</summary>
    private async Task<List<Device>> AllDevicesAsync(CancellationToken ct)
    {
        var all = new List<Device>();
        await using var read = await store.ReadAsync(ct);
        string? after = null;
        while (true)
        {
            var page = await read.Devices.ListAsync(new DeviceQuery(after, PageSize), ct);
            all.AddRange(page);
            if (page.Count < PageSize)
            {
                return all;
            }
            after = page[^1].Id;
        }
    }

    public static void Render(HtmlWriter html, FleetOverview overview, DateTimeOffset now)
    {
        DashboardLayout.Heading(html, "Fleet overview", "Every registered device, by lifecycle state and model.");
        using (html.Open("section", ("class", "stats"), ("aria-label", "Key figures")))
        {
            Stat(html, "Devices", overview.Total, null);
            Stat(html, "Active", overview.ByState[DeviceLifecycleState.Active], "state-active");
            Stat(html, "Quarantined", overview.ByState[DeviceLifecycleState.Quarantined], "state-quarantined");
            Stat(html, "Seen in the last 24 h", overview.SeenLastDay, null);
        }
        using (html.Open("div", ("class", "grid-2")))
        {
            using (html.Open("section", ("class", "card")))
            {
                html.Element("h2", "Lifecycle state");
                var states = Enum.GetValues<DeviceLifecycleState>()
                    .Select(state => new ChartDatum(state.ToName(), overview.ByState[state], DashboardLayout.Tone(state))).ToList();
                using (html.Open("div", ("class", "donut-with-legend")))
                {
                    SvgCharts.Donut(html, "chart-states", "Devices by lifecycle state", states, "devices");
                    SvgCharts.Legend(html, states);
                }
            }
            using (html.Open("section", ("class", "card")))
            {
                html.Element("h2", "Models");
                SvgCharts.BarChart(html, "chart-models", "Devices by model",
                    [.. overview.ByModel.Select(model => new ChartDatum(model.Model, model.Count, "1"))]);
            }
        }
        using (html.Open("section", ("class", "card")))
        {
            html.Element("h2", "Recently seen");
            if (overview.RecentlySeen.Count == 0)
            {
                html.Element("p", "No device has checked in yet.", ("class", "muted"));
                return;
            }
            DeviceListPage.Table(html, overview.RecentlySeen, now);
        }
    }

    private static void Stat(HtmlWriter html, string label, long value, string? tone)
    {
        using (html.Open("div", ("class", tone is null ? "stat" : "stat stat-" + tone)))
        {
            html.Element("div", DashboardLayout.Count(value), ("class", "stat-value"));
            html.Element("div", label, ("class", "stat-label"));
        }
    }
}
