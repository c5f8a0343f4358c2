using System.Globalization;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Dashboard.Pages;

namespace Fleetward.Server.Dashboard.Sections;

/// <summary>The device's recent telemetry as sparklines (CPU, memory, traffic, connections) with the latest value beside each.</summary>
public sealed class DeviceTelemetrySection(IFleetStore store) : IDeviceDetailSection
{
    /// <summary>Points drawn per sparkline: the last hour at a one-minute interval.</summary>
    public const int Points = 60;

    public int Order => 20;

    public async Task<Action<HtmlWriter>?> LoadAsync(Device device, DashboardRequest request)
    {
        IReadOnlyList<TelemetryPoint> points;
        StoredTelemetry? latest;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            points = await read.Telemetry.ListRecentAsync(device.Id, Points, request.Aborted);
            latest = await read.Telemetry.GetLatestAsync(device.Id, request.Aborted);
        }
        return html => Render(html, points, latest, request.Now);
    }

    /// <summary>One sparkline: its label, the values oldest first, and how to print the latest value.</summary>
    public sealed record Series(string Id, string Label, IReadOnlyList<double> Values, Func<double, string> Format);

    public static IReadOnlyList<Series> SeriesOf(IReadOnlyList<TelemetryPoint> points) =>
    [
        new("spark-cpu", "CPU", [.. points.Select(p => p.CpuPercent)], v => v.ToString("0.#", CultureInfo.InvariantCulture) + " %"),
        new("spark-memory", "Memory used", [.. points.Select(p => (double)p.MemoryUsedBytes)], Bytes),
        new("spark-traffic", "Traffic per sample", [.. points.Select(p => (double)(p.BytesIn + p.BytesOut))], Bytes),
        new("spark-connections", "TCP connections", [.. points.Select(p => (double)p.TcpConnections)], v => v.ToString("0", CultureInfo.InvariantCulture)),
    ];

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
        >= 1e6 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        >= 1e3 => (bytes / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " kB",
        _ => bytes.ToString("0", CultureInfo.InvariantCulture) + " B",
    };

    public static void Render(HtmlWriter html, IReadOnlyList<TelemetryPoint> points, StoredTelemetry? latest, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "telemetry-heading")))
        {
            html.Element("h2", "Telemetry", ("id", "telemetry-heading"));
            if (points.Count == 0)
            {
                html.Element("p", "No telemetry received from this device yet.", ("class", "muted"));
                return;
            }
            using (html.Open("div", ("class", "sparklines")))
            {
                foreach (var series in SeriesOf(points))
                {
                    using (html.Open("div", ("class", "sparkline")))
                    {
                        html.Element("div", series.Label, ("class", "sparkline-label"));
                        SvgCharts.Sparkline(html, series.Id, series.Label + $" over the last {points.Count} samples", series.Values);
                        html.Element("div", series.Format(series.Values[^1]), ("class", "sparkline-value"));
                    }
                }
            }
            using (html.Open("p", ("class", "fine-print")))
            {
                html.Text($"{points.Count} samples; last sampled ");
                DashboardLayout.Instant(html, points[^1].SampledAt, now);
                if (latest is not null)
                {
                    html.Text($", {latest.Report.ProcessCount} processes, {latest.Report.Listeners.Count} listening socket{(latest.Report.Listeners.Count == 1 ? "" : "s")}, uptime {DashboardLayout.Duration(TimeSpan.FromSeconds(latest.Report.UptimeSeconds))}.");
                }
            }
        }
    }
}

/// <summary>One rollout a device took part in, with where the device got to.</summary>
public sealed record DeviceRolloutEntry(string RolloutId, string ReleaseVersion, string RolloutStatus, DeviceAssignment Assignment);

/// <summary>The rollouts this device was assigned in, newest first, with its update state and timestamps in each.</summary>
public sealed class DeviceRolloutHistorySection(IFleetStore store) : IDeviceDetailSection
{
    public const int MaxShown = 20;

    public int Order => 30;

    public async Task<Action<HtmlWriter>?> LoadAsync(Device device, DashboardRequest request)
    {
        var entries = new List<DeviceRolloutEntry>();
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            foreach (var rolloutId in await read.Assignments.ListRolloutIdsForDeviceAsync(device.Id, request.Aborted))
            {
                var assignment = await read.Assignments.GetAsync(rolloutId, device.Id, request.Aborted);
                var rollout = await read.Rollouts.GetAsync(rolloutId, RolloutLock.None, request.Aborted);
                if (assignment is not null && rollout is not null)
                {
                    entries.Add(new DeviceRolloutEntry(rolloutId, rollout.Definition.Release.Version, rollout.State.Status.ToName(), assignment));
                }
            }
        }
        return html => Render(html, [.. entries.OrderByDescending(e => e.Assignment.AssignedAt).Take(MaxShown)], request.Now);
    }

    public static void Render(HtmlWriter html, IReadOnlyList<DeviceRolloutEntry> entries, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "device-rollouts-heading")))
        {
            html.Element("h2", "Rollouts", ("id", "device-rollouts-heading"), ("class", "card-title"));
            if (entries.Count == 0)
            {
                html.Element("p", "This device has not been part of a rollout.", ("class", "empty"));
                return;
            }
            using (html.Open("div", ("class", "table-scroll")))
            using (html.Open("table", ("class", "table")))
            {
                using (html.Open("thead"))
                using (html.Open("tr"))
                {
                    foreach (var heading in new[] { "Rollout", "Release", "Ring", "Device state", "From", "Failure", "Assigned", "Finished" })
                    {
                        html.Element("th", heading, ("scope", "col"));
                    }
                }
                using (html.Open("tbody"))
                {
                    foreach (var entry in entries)
                    {
                        var a = entry.Assignment;
                        using (html.Open("tr"))
                        {
                            using (html.Open("td", ("data-label", "Rollout")))
                            {
                                html.Element("a", entry.RolloutId, ("href", RolloutDetailPage.Href(entry.RolloutId)), ("class", "mono"));
                                html.Text(" ");
                                DashboardLayout.Badge(html, entry.RolloutStatus, RolloutTones.Of(entry.RolloutStatus));
                            }
                            html.Element("td", entry.ReleaseVersion, ("data-label", "Release"), ("class", "mono"));
                            html.Element("td", (a.RingIndex + 1).ToString(CultureInfo.InvariantCulture), ("data-label", "Ring"));
                            using (html.Open("td", ("data-label", "Device state")))
                            {
                                DashboardLayout.Badge(html, a.Status.ToName(), RolloutTones.Of(a.Status.ToName()));
                            }
                            html.Element("td", a.PreviousVersion ?? "–", ("data-label", "From"), ("class", "mono"));
                            html.Element("td", a.FailureReason ?? "", ("data-label", "Failure"));
                            using (html.Open("td", ("data-label", "Assigned")))
                            {
                                DashboardLayout.CompactInstant(html, a.AssignedAt, now);
                            }
                            using (html.Open("td", ("data-label", "Finished")))
                            {
                                DashboardLayout.CompactInstant(html, a.FinishedAt, now);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// <summary>The device's incidents, newest first, linking to each incident's timeline.</summary>
public sealed class DeviceIncidentsSection(IFleetStore store) : IDeviceDetailSection
{
    public const int MaxShown = 20;

    public int Order => 40;

    public async Task<Action<HtmlWriter>?> LoadAsync(Device device, DashboardRequest request)
    {
        IReadOnlyList<Incident> incidents;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            incidents = await read.Incidents.ListAsync(new IncidentQuery(Limit: MaxShown, DeviceId: device.Id), request.Aborted);
        }
        return html => Render(html, device.Id, incidents, request.Now);
    }

    public static void Render(HtmlWriter html, string deviceId, IReadOnlyList<Incident> incidents, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "device-incidents-heading")))
        {
            html.Element("h2", "Incidents", ("id", "device-incidents-heading"), ("class", "card-title"));
            if (incidents.Count == 0)
            {
                html.Element("p", "No incident on this device.", ("class", "empty"));
                return;
            }
            IncidentListPage.Table(html, incidents, now, showDevice: false);
            if (incidents.Count == MaxShown)
            {
                using (html.Open("p", ("class", "pager-inset")))
                {
                    html.Element("a", "All incidents of this device →",
                        ("href", new IncidentListFilter(null, false, deviceId, null, null).Href(before: null)));
                }
            }
        }
    }
}
