using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>
/// How many of a rollout's (or a ring's) devices are where, folded from the per-status counts into the four
/// numbers an operator watches: succeeded, failed, still in progress, and rolled back or on the way back.
/// </summary>
public sealed record RolloutTally(int Succeeded, int Failed, int InProgress, int RolledBack, int Withdrawn)
{
    public int Total => Succeeded + Failed + InProgress + RolledBack + Withdrawn;

    public static RolloutTally From(IReadOnlyDictionary<string, int> byStatus)
    {
        int Count(DeviceUpdateStatus status) => byStatus.GetValueOrDefault(status.ToName());
        var inProgress = Enum.GetValues<DeviceUpdateStatus>().Where(s => s <= DeviceUpdateStatus.Verifying).Sum(Count);
        return new RolloutTally(Count(DeviceUpdateStatus.Succeeded), Count(DeviceUpdateStatus.Failed), inProgress,
            Count(DeviceUpdateStatus.RollbackPending) + Count(DeviceUpdateStatus.RolledBack), Count(DeviceUpdateStatus.Withdrawn));
    }

    /// <summary>The segments of a progress bar: succeeded, failed, in progress, rolled back.</summary>
    public IReadOnlyList<ChartDatum> Segments() =>
    [
        new("succeeded", Succeeded, "good"),
        new("failed", Failed, "bad"),
        new("in progress", InProgress, "busy"),
        new("rolled back", RolledBack, "neutral"),
    ];
}

/// <summary>Colours of rollout, ring and device update statuses, shared by the rollout pages and the device history.</summary>
public static class RolloutTones
{
    public static string Of(string status) => status switch
    {
        "running" or "active" or "soaking" => "busy",
        "completed" or "passed" or "succeeded" => "good",
        "paused" or "awaiting-approval" or "rollback-pending" => "warn",
        "aborted" or "failed" => "bad",
        "assigned" or "downloading" or "downloaded" or "installing" or "rebooting" or "verifying" => "busy",
        _ => "neutral",
    };
}

/// <summary>Every rollout, newest first, with its release, ring position and how its devices fare.</summary>
public sealed class RolloutListPage(RolloutService rollouts) : IDashboardPage
{
    public const string Path = DashboardEndpoints.BasePath + "/rollouts";
    public const int MaxShown = 100;

    public string Route => "/rollouts";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Rollouts", 30);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var query = request.Http.Request.Query;
        foreach (var key in query.Keys)
        {
            if (key != "status")
            {
                throw ProblemException.Validation(key, $"Unknown filter '{key}'; expected status.");
            }
        }
        RolloutStatus? status = null;
        var statusText = query["status"].ToString();
        if (statusText.Length > 0)
        {
            if (!RolloutStatusNames.TryParse(statusText, out RolloutStatus parsed))
            {
                throw ProblemException.Validation("status", $"status must be draft, running, paused, completed, aborted or cancelled; got '{statusText}'.");
            }
            status = parsed;
        }
        var list = await rollouts.ListAsync(status, request.Aborted);
        var views = new List<RolloutView>();
        foreach (var summary in list.Items.Take(MaxShown))
        {
            views.Add(await rollouts.GetAsync(summary.Id, request.Aborted));
        }
        return new DashboardView("Rollouts", html => Render(html, views, status, request.Now));
    }

    public static void Render(HtmlWriter html, IReadOnlyList<RolloutView> views, RolloutStatus? status, DateTimeOffset now)
    {
        DashboardLayout.Heading(html, "Rollouts", "Staged releases through rings; bars show each rollout's devices out of its targets.");
        using (html.Open("form", ("class", "filters"), ("method", "get"), ("action", Path)))
        {
            using (html.Open("label"))
            {
                html.Element("span", "Status");
                using (html.Open("select", ("name", "status")))
                {
                    html.Element("option", "any status", ("value", ""));
                    foreach (var candidate in Enum.GetValues<RolloutStatus>())
                    {
                        html.Element("option", candidate.ToName(), ("value", candidate.ToName()), ("selected", status == candidate ? "selected" : null));
                    }
                }
            }
            html.Element("button", "Apply", ("type", "submit"), ("class", "button"));
        }
        using (html.Open("section", ("class", "card card-flush")))
        {
            if (views.Count == 0)
            {
                html.Element("p", "No rollout yet. Create one with 'fleetward rollout create'.", ("class", "empty"));
                return;
            }
            using (html.Open("div", ("class", "table-scroll")))
            using (html.Open("table", ("class", "table")))
            {
                using (html.Open("thead"))
                using (html.Open("tr"))
                {
                    foreach (var heading in new[] { "Rollout", "State", "Release", "Ring", "Progress", "Succeeded", "Failed", "In progress", "Rolled back", "Updated" })
                    {
                        html.Element("th", heading, ("scope", "col"));
                    }
                }
                using (html.Open("tbody"))
                {
                    foreach (var rollout in views)
                    {
                        var tally = RolloutTally.From(rollout.Devices);
                        var targets = rollout.Rings.Sum(r => r.TargetDevices);
                        using (html.Open("tr"))
                        {
                            using (html.Open("td", ("data-label", "Rollout")))
                            {
                                html.Element("a", rollout.Id, ("href", RolloutDetailPage.Href(rollout.Id)), ("class", "mono"));
                            }
                            using (html.Open("td", ("data-label", "State")))
                            {
                                DashboardLayout.Badge(html, rollout.Status, RolloutTones.Of(rollout.Status));
                            }
                            using (html.Open("td", ("data-label", "Release")))
                            {
                                html.Element("span", rollout.Release.Version, ("class", "mono"));
                                html.Element("span", " " + rollout.Release.Channel, ("class", "muted"));
                            }
                            html.Element("td", rollout.Status == "draft" ? "–" : $"{rollout.CurrentRing + 1} of {rollout.Rings.Count}", ("data-label", "Ring"));
                            using (html.Open("td", ("data-label", "Progress"), ("class", "progress-cell")))
                            {
                                SvgProgressBar.Render(html, "progress-" + rollout.Id, $"Devices of {rollout.Id}", tally.Segments(), targets);
                            }
                            html.Element("td", DashboardLayout.Count(tally.Succeeded), ("data-label", "Succeeded"), ("class", "num"));
                            html.Element("td", DashboardLayout.Count(tally.Failed), ("data-label", "Failed"), ("class", "num"));
                            html.Element("td", DashboardLayout.Count(tally.InProgress), ("data-label", "In progress"), ("class", "num"));
                            html.Element("td", DashboardLayout.Count(tally.RolledBack), ("data-label", "Rolled back"), ("class", "num"));
                            using (html.Open("td", ("data-label", "Updated")))
                            {
                                DashboardLayout.CompactInstant(html, rollout.UpdatedAt, now);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// <summary>A rollout's audit records, newest first, as the detail page's history shows them.</summary>
public sealed record RolloutHistoryEntry(long Index, string Type, DateTimeOffset At, string Actor, string Payload);

/// <summary>
/// One rollout: its rings with thresholds, soak and gate, the devices in it with their timestamps, its history
/// from the audit log, its maintenance windows, and the operator actions (pause, resume, approve, cancel) as
/// anti-forgery-protected forms that go through <see cref="RolloutService"/> exactly as the API does.
/// </summary>
public sealed class RolloutDetailPage(RolloutService rollouts, IFleetStore store) : IDashboardPage
{
    public const int DevicePageSize = 50;

    /// <summary>How far back in the audit log the history looks; device assignments are left out, they are in the device table.</summary>
    public const int HistoryScan = 5000;

    public const int HistoryShown = 50;

    public string Route => "/rollouts/{id}";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation? Navigation => null;

    public static string Href(string id) => RolloutListPage.Path + "/" + Uri.EscapeDataString(id);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The rollout id is missing.");
        var filter = RolloutDeviceFilter.Parse(request.Http.Request.Query);
        var rollout = await rollouts.GetAsync(id, request.Aborted);
        var devices = await rollouts.ListDevicesAsync(id, filter.Status is { } status ? [status] : [], filter.After, DevicePageSize, request.Aborted);
        var history = await HistoryAsync(store, "rollout:" + id, request.Aborted);
        return new DashboardView("Rollout " + rollout.Id, html => Render(html, request, rollout, devices, filter, history));
    }

    /// <summary>The newest audit records about <paramref name="subject"/> within the last <see cref="HistoryScan"/> entries of the log.</summary>
    public static async Task<IReadOnlyList<RolloutHistoryEntry>> HistoryAsync(IFleetStore store, string subject, CancellationToken ct)
    {
        await using var read = await store.ReadAsync(ct);
        var size = await read.AuditLog.SizeAsync(ct);
        var entries = await read.AuditLog.EntriesAsync(Math.Max(0, size - HistoryScan), size, ct);
        return [.. entries
            .Where(e => e.Event.Subject == subject && e.Event.Type != "rollout.device-assigned")
            .OrderByDescending(e => e.Index)
            .Take(HistoryShown)
            .Select(e => new RolloutHistoryEntry(e.Index, e.Event.Type, e.Event.Time, e.Event.Actor, e.Event.PayloadJson))];
    }

    public static void Render(HtmlWriter html, DashboardRequest request, RolloutView rollout, AssignmentPage devices, RolloutDeviceFilter filter,
        IReadOnlyList<RolloutHistoryEntry> history)
    {
        var now = request.Now;
        using (html.Open("nav", ("class", "breadcrumb"), ("aria-label", "Breadcrumb")))
        {
            html.Element("a", "Rollouts", ("href", RolloutListPage.Path));
            html.Element("span", " / ", ("aria-hidden", "true"));
            html.Element("span", rollout.Id, ("aria-current", "page"));
        }
        using (html.Open("div", ("class", "page-head page-head-row")))
        {
            html.Element("h1", rollout.Id, ("class", "mono"));
            DashboardLayout.Badge(html, rollout.Status, RolloutTones.Of(rollout.Status));
            if (rollout.StatusReason is not null)
            {
                html.Element("span", rollout.StatusReason, ("class", "muted mono"), ("id", "status-reason"));
            }
        }
        Actions(html, request, rollout);
        var tally = RolloutTally.From(rollout.Devices);
        using (html.Open("section", ("class", "stats"), ("aria-label", "Device outcomes")))
        {
            Stat(html, "Succeeded", tally.Succeeded, "good");
            Stat(html, "Failed", tally.Failed, "bad");
            Stat(html, "In progress", tally.InProgress, "busy");
            Stat(html, "Rolled back", tally.RolledBack, "neutral");
        }
        using (html.Open("div", ("class", "grid-2")))
        {
            Release(html, rollout, now);
            Maintenance(html, rollout, now);
        }
        Rings(html, rollout, now);
        Devices(html, rollout, devices, filter, now);
        History(html, history, now);
    }

    private static void Stat(HtmlWriter html, string label, int value, string tone)
    {
        using (html.Open("div", ("class", "stat stat-" + tone)))
        {
            html.Element("div", DashboardLayout.Count(value), ("class", "stat-value"));
            html.Element("div", label, ("class", "stat-label"));
        }
    }

    /// <summary>The buttons this rollout's state allows, shown only to operators (the actions refuse lower roles anyway).</summary>
    private static void Actions(HtmlWriter html, DashboardRequest request, RolloutView rollout)
    {
        if (!request.Identity.Role.Satisfies(OperatorRole.Operator))
        {
            return;
        }
        var version = rollout.Version.ToString(CultureInfo.InvariantCulture);
        var route = "/rollouts/" + Uri.EscapeDataString(rollout.Id);
        var final = rollout.Status is "completed" or "aborted" or "cancelled";
        if (final)
        {
            return;
        }
        using (html.Open("section", ("class", "action-bar"), ("aria-label", "Rollout actions")))
        {
            if (rollout.Status == "running")
            {
                DashboardLayout.ActionForm(html, request, route + "/pause", "Pause", "inline-form action-pause", (RolloutAction.VersionField, version));
            }
            if (rollout.Status == "paused")
            {
                DashboardLayout.ActionForm(html, request, route + "/resume", "Resume", "inline-form action-resume", (RolloutAction.VersionField, version));
            }
            if (rollout.Rings.FirstOrDefault(r => r.Status == "awaiting-approval") is { } awaiting)
            {
                DashboardLayout.ActionForm(html, request, route + "/approve", $"Approve ring {awaiting.Index + 1}", "inline-form action-approve",
                    (RolloutAction.VersionField, version), (ApproveRolloutRingAction.RingField, awaiting.Index.ToString(CultureInfo.InvariantCulture)));
            }
            using (html.Open("details", ("class", "confirm")))
            {
                html.Element("summary", "Cancel rollout…", ("class", "button button-quiet"));
                DashboardLayout.ActionForm(html, request, route + "/cancel", "Cancel " + rollout.Id, "confirm-form", (RolloutAction.VersionField, version));
            }
        }
    }

    private static void Release(HtmlWriter html, RolloutView rollout, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "release-heading")))
        {
            html.Element("h2", "Release and policy", ("id", "release-heading"));
            using (html.Open("dl", ("class", "facts facts-compact")))
            {
                DashboardLayout.Fact(html, "Release", rollout.Release.Id);
                DashboardLayout.Fact(html, "Version", () => html.Element("span", rollout.Release.Version, ("class", "mono")));
                DashboardLayout.Fact(html, "Security version", rollout.Release.SecurityVersion.ToString(CultureInfo.InvariantCulture));
                DashboardLayout.Fact(html, "Channel", rollout.Release.Channel);
                DashboardLayout.Fact(html, "Selection", Selection(rollout.Selection), "every active device");
                DashboardLayout.Fact(html, "Error threshold", ErrorThreshold(rollout.ErrorThreshold));
                DashboardLayout.Fact(html, "Install timeout", DashboardLayout.Duration(TimeSpan.FromSeconds(rollout.InstallTimeoutSeconds))
                    + (rollout.MaxRetries > 0 ? $", {rollout.MaxRetries} retries" : ", no retries"));
                DashboardLayout.Fact(html, "Rate limit", rollout.MaxDevicesPerMinute is { } rate ? $"{rate} devices per minute" : null, "none");
                DashboardLayout.Fact(html, "Created", () => DashboardLayout.Instant(html, rollout.CreatedAt, now));
                DashboardLayout.Fact(html, "Started", () => DashboardLayout.Instant(html, rollout.StartedAt, now));
                DashboardLayout.Fact(html, "Finished", () => DashboardLayout.Instant(html, rollout.FinishedAt, now));
            }
        }
    }

    private static string? Selection(SelectionSpec selection)
    {
        var parts = new List<string>();
        if (selection.Model is not null)
        {
            parts.Add("model " + selection.Model);
        }
        if (selection.Tags is { Count: > 0 } tags)
        {
            parts.Add("tags " + string.Join(", ", tags));
        }
        if (selection.CurrentVersions is { Count: > 0 } versions)
        {
            parts.Add("running " + string.Join(", ", versions));
        }
        if (selection.DeviceIds is { Count: > 0 } ids)
        {
            parts.Add($"{ids.Count} listed devices");
        }
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string ErrorThreshold(ErrorThresholdSpec threshold)
    {
        var limits = new List<string>();
        if (threshold.FailedCount is { } count)
        {
            limits.Add($"{count} failed");
        }
        if (threshold.FailedPercent is { } percent)
        {
            limits.Add($"{percent.ToString("0.##", CultureInfo.InvariantCulture)}% failed");
        }
        return $"{threshold.Action} at {string.Join(" or ", limits)} (after {threshold.MinimumFinished} finished)";
    }

    private static void Maintenance(HtmlWriter html, RolloutView rollout, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "maintenance-heading")))
        {
            html.Element("h2", "Maintenance windows", ("id", "maintenance-heading"));
            var windows = rollout.Maintenance.Windows ?? [];
            if (windows.Count == 0)
            {
                html.Element("p", "No windows: devices may update at any time.", ("class", "muted"));
                return;
            }
            using (html.Open("ul", ("class", "plain-list")))
            {
                foreach (var window in windows)
                {
                    using (html.Open("li"))
                    {
                        html.Element("span", window.Schedule, ("class", "mono"));
                        html.Text($" for {DashboardLayout.Duration(TimeSpan.FromSeconds(window.DurationSeconds))} ({window.TimeZone})");
                    }
                }
            }
            using (html.Open("dl", ("class", "facts facts-compact")))
            {
                DashboardLayout.Fact(html, "Now", () =>
                {
                    if (IsWindowOpen(rollout.Maintenance, now))
                    {
                        html.Element("span", "open", ("class", "badge badge-good"), ("id", "window-state"));
                    }
                    else
                    {
                        html.Element("span", "closed", ("class", "badge badge-neutral"), ("id", "window-state"));
                    }
                });
                DashboardLayout.Fact(html, "Next opening", () => DashboardLayout.Instant(html, rollout.NextMaintenanceWindow, now));
                DashboardLayout.Fact(html, "Security releases", rollout.Maintenance.SecurityReleasesBypassWindows ? "bypass the windows" : "wait for a window");
            }
        }
    }

    /// <summary>Whether one of the rollout's windows is open at <paramref name="now"/> (the view carries the windows as their specs).</summary>
    public static bool IsWindowOpen(MaintenanceSpec maintenance, DateTimeOffset now) =>
        (maintenance.Windows ?? []).Any(w =>
            new MaintenanceWindow(CronSchedule.Parse(w.Schedule), TimeSpan.FromSeconds(w.DurationSeconds), TimeZoneInfo.FindSystemTimeZoneById(w.TimeZone)).IsOpen(now));

    /// <summary>What stands between a ring and the next one, in words.</summary>
    public static string Gate(RingView ring, DateTimeOffset now)
    {
        var threshold = ring.SuccessThresholdPercent.ToString("0.##", CultureInfo.InvariantCulture);
        var finished = ring.Succeeded + ring.Failed;
        var succeeded = ring.TargetDevices == 0 ? "" : $"; {Percent(ring.Succeeded, ring.TargetDevices)} succeeded";
        return ring.Status switch
        {
            "pending" => $"opens after the previous ring; needs {threshold}% succeeded",
            "active" => $"needs {threshold}% of {ring.TargetDevices} succeeded{succeeded}",
            "soaking" when ring.SoakStartedAt is { } soak =>
                soak + TimeSpan.FromSeconds(ring.MinimumSoakSeconds) > now
                    ? $"soaking, {DashboardLayout.Duration(soak + TimeSpan.FromSeconds(ring.MinimumSoakSeconds) - now)} left"
                    : "soak complete",
            "awaiting-approval" => "soaked; waiting for an operator's approval",
            "passed" => $"passed ({ring.Succeeded} succeeded, {finished - ring.Succeeded} failed)",
            "failed" => $"failed ({ring.Failed} failed)",
            _ => ring.Status,
        };
    }

    private static string Percent(int part, int whole) =>
        (100.0 * part / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static void Rings(HtmlWriter html, RolloutView rollout, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "rings-heading")))
        {
            html.Element("h2", "Rings", ("id", "rings-heading"), ("class", "card-title"));
            using (html.Open("div", ("class", "table-scroll")))
            using (html.Open("table", ("class", "table rings")))
            {
                using (html.Open("thead"))
                using (html.Open("tr"))
                {
                    foreach (var heading in new[] { "Ring", "Policy", "State", "Gate", "Devices" })
                    {
                        html.Element("th", heading, ("scope", "col"));
                    }
                }
                using (html.Open("tbody"))
                {
                    foreach (var ring in rollout.Rings)
                    {
                        var tally = RolloutTally.From(ring.Devices);
                        using (html.Open("tr"))
                        {
                            html.Element("td", (ring.Index + 1).ToString(CultureInfo.InvariantCulture), ("data-label", "Ring"));
                            using (html.Open("td", ("data-label", "Policy"), ("class", "policy")))
                            {
                                html.Element("div", "up to " + ring.CumulativePercent.ToString("0.##", CultureInfo.InvariantCulture) + "% of the fleet");
                                html.Element("div", "≥ " + ring.SuccessThresholdPercent.ToString("0.##", CultureInfo.InvariantCulture) + "% succeeded, soak "
                                    + (ring.MinimumSoakSeconds == 0 ? "none" : DashboardLayout.Duration(TimeSpan.FromSeconds(ring.MinimumSoakSeconds)))
                                    + (ring.RequiresApproval ? ", approval" : ""), ("class", "muted"));
                            }
                            using (html.Open("td", ("data-label", "State")))
                            {
                                DashboardLayout.Badge(html, ring.Status, RolloutTones.Of(ring.Status));
                            }
                            html.Element("td", Gate(ring, now), ("data-label", "Gate"), ("class", "gate"));
                            using (html.Open("td", ("data-label", "Devices"), ("class", "progress-cell ring-devices")))
                            {
                                SvgProgressBar.Render(html, $"ring-{ring.Index}", $"Ring {ring.Index + 1} devices", tally.Segments(), ring.TargetDevices);
                                using (html.Open("div", ("class", "ring-counts")))
                                {
                                    Count(html, tally.Succeeded, "succeeded", "good");
                                    Count(html, tally.Failed, "failed", "bad");
                                    Count(html, tally.InProgress, "in progress", "busy");
                                    Count(html, tally.RolledBack, "rolled back", "neutral");
                                    html.Element("span", "of " + DashboardLayout.Count(ring.TargetDevices) + " targets", ("class", "muted"));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Count(HtmlWriter html, int value, string label, string tone)
    {
        using (html.Open("span", ("class", "count count-" + tone)))
        {
            html.Element("span", null, ("class", "swatch tone-" + tone), ("aria-hidden", "true"));
            html.Element("strong", DashboardLayout.Count(value));
            html.Text(" " + label);
        }
    }

    private static void Devices(HtmlWriter html, RolloutView rollout, AssignmentPage devices, RolloutDeviceFilter filter, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "devices-heading")))
        {
            using (html.Open("div", ("class", "card-head")))
            {
                html.Element("h2", "Devices", ("id", "devices-heading"));
                using (html.Open("form", ("class", "filters filters-inline"), ("method", "get"), ("action", Href(rollout.Id))))
                {
                    using (html.Open("label"))
                    {
                        html.Element("span", "Update state");
                        using (html.Open("select", ("name", "status")))
                        {
                            html.Element("option", "any state", ("value", ""));
                            foreach (var status in Enum.GetValues<DeviceUpdateStatus>())
                            {
                                html.Element("option", status.ToName(), ("value", status.ToName()), ("selected", filter.Status == status ? "selected" : null));
                            }
                        }
                    }
                    html.Element("button", "Apply", ("type", "submit"), ("class", "button button-quiet"));
                }
            }
            if (devices.Items.Count == 0)
            {
                html.Element("p", filter.After is null ? "No device is assigned in this state." : "No more devices.", ("class", "empty"));
            }
            else
            {
                using (html.Open("div", ("class", "table-scroll")))
                using (html.Open("table", ("class", "table assignments")))
                {
                    using (html.Open("thead"))
                    using (html.Open("tr"))
                    {
                        foreach (var heading in new[] { "Device", "Ring", "State", "Attempt", "From", "Failure", "Assigned", "Installing", "Last change", "Finished" })
                        {
                            html.Element("th", heading, ("scope", "col"));
                        }
                    }
                    using (html.Open("tbody"))
                    {
                        foreach (var device in devices.Items)
                        {
                            using (html.Open("tr"))
                            {
                                using (html.Open("td", ("data-label", "Device")))
                                {
                                    html.Element("a", device.DeviceId, ("href", DeviceDetailPage.Href(device.DeviceId)), ("class", "mono"));
                                }
                                html.Element("td", (device.Ring + 1).ToString(CultureInfo.InvariantCulture), ("data-label", "Ring"));
                                using (html.Open("td", ("data-label", "State")))
                                {
                                    DashboardLayout.Badge(html, device.Status, RolloutTones.Of(device.Status));
                                }
                                html.Element("td", device.Attempt.ToString(CultureInfo.InvariantCulture), ("data-label", "Attempt"), ("class", "num"));
                                html.Element("td", device.PreviousVersion ?? "–", ("data-label", "From"), ("class", "mono"));
                                html.Element("td", device.FailureReason ?? "", ("data-label", "Failure"));
                                using (html.Open("td", ("data-label", "Assigned")))
                                {
                                    DashboardLayout.CompactInstant(html, device.AssignedAt, now);
                                }
                                using (html.Open("td", ("data-label", "Installing")))
                                {
                                    DashboardLayout.CompactInstant(html, device.InstallingAt, now);
                                }
                                using (html.Open("td", ("data-label", "Last change")))
                                {
                                    DashboardLayout.CompactInstant(html, device.StatusChangedAt, now);
                                }
                                using (html.Open("td", ("data-label", "Finished")))
                                {
                                    DashboardLayout.CompactInstant(html, device.FinishedAt, now);
                                }
                            }
                        }
                    }
                }
            }
            using (html.Open("nav", ("class", "pager pager-inset"), ("aria-label", "Device pages")))
            {
                if (filter.After is not null)
                {
                    html.Element("a", "← First page", ("href", filter.Href(rollout.Id, after: null)), ("class", "button button-quiet"));
                }
                html.Element("span", $"{devices.Items.Count} shown", ("class", "muted"));
                if (devices.Next is { } next)
                {
                    html.Element("a", "Next page →", ("href", filter.Href(rollout.Id, after: next)), ("class", "button button-quiet"), ("rel", "next"));
                }
            }
        }
    }

    private static void History(HtmlWriter html, IReadOnlyList<RolloutHistoryEntry> history, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "history-heading")))
        {
            html.Element("h2", "History", ("id", "history-heading"), ("class", "card-title"));
            if (history.Count == 0)
            {
                html.Element("p", "No recent audit record about this rollout.", ("class", "empty"));
                return;
            }
            AuditPage.EntryTable(html, history.Select(h => (h.Index, h.Type, h.At, h.Actor, (string?)null, h.Payload)).ToList(), now);
        }
    }
}

/// <summary>The rollout device table's filter and page: one update state (or all) and the device id to continue after.</summary>
public sealed record RolloutDeviceFilter(DeviceUpdateStatus? Status, string? After)
{
    public static RolloutDeviceFilter Parse(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (key is not ("status" or "after"))
            {
                throw ProblemException.Validation(key, $"Unknown filter '{key}'; expected status or after.");
            }
            if (query[key].Count > 1)
            {
                throw ProblemException.Validation(key, $"Filter '{key}' is given more than once.");
            }
        }
        DeviceUpdateStatus? status = null;
        var text = query["status"].ToString().Trim();
        if (text.Length > 0)
        {
            if (!DeviceUpdateStatusNames.TryParse(text, out var parsed))
            {
                throw ProblemException.Validation("status", $"status must be a device update state such as assigned, installing, succeeded, failed or rolled-back; got '{text}'.");
            }
            status = parsed;
        }
        var after = query["after"].ToString().Trim();
        return new RolloutDeviceFilter(status, after.Length == 0 ? null : after);
    }

    public string Href(string rolloutId, string? after)
    {
        var query = new QueryString()
            .Add(Status is { } status ? QueryString.Create("status", status.ToName()) : QueryString.Empty)
            .Add(after is null ? QueryString.Empty : QueryString.Create("after", after));
        return RolloutDetailPage.Href(rolloutId) + query.Value;
    }
}

/// <summary>
/// An operator action on a rollout from its page, through <see cref="RolloutService"/> with the same role as
/// the API (operator). The form carries the version the page showed, so a second click on a stale page is a
/// conflict instead of a repeated action.
/// </summary>
public abstract class RolloutAction(string verb) : IDashboardAction
{
    public const string VersionField = "version";

    public string Route => "/rollouts/{id}/" + verb;

    public OperatorRole Role => OperatorRole.Operator;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The rollout id is missing.");
        long? version = null;
        var text = form[VersionField].ToString();
        if (text.Length > 0)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw ProblemException.Validation(VersionField, $"version must be a non-negative integer; got '{text}'.");
            }
            version = parsed;
        }
        await ActAsync(id, request.Identity.Actor, version, form, request.Aborted);
        return RolloutDetailPage.Href(id);
    }

    protected abstract Task ActAsync(string id, string actor, long? expectedVersion, IFormCollection form, CancellationToken ct);
}

public sealed class PauseRolloutAction(RolloutService rollouts) : RolloutAction("pause")
{
    protected override Task ActAsync(string id, string actor, long? expectedVersion, IFormCollection form, CancellationToken ct) =>
        rollouts.PauseAsync(id, actor, expectedVersion, ct);
}

public sealed class ResumeRolloutAction(RolloutService rollouts) : RolloutAction("resume")
{
    protected override Task ActAsync(string id, string actor, long? expectedVersion, IFormCollection form, CancellationToken ct) =>
        rollouts.ResumeAsync(id, actor, expectedVersion, ct);
}

public sealed class CancelRolloutAction(RolloutService rollouts) : RolloutAction("cancel")
{
    protected override Task ActAsync(string id, string actor, long? expectedVersion, IFormCollection form, CancellationToken ct) =>
        rollouts.CancelAsync(id, actor, expectedVersion, ct);
}

/// <summary>Approves the ring named in the form (the one the page showed awaiting approval), or the one awaiting now.</summary>
public sealed class ApproveRolloutRingAction(RolloutService rollouts) : RolloutAction("approve")
{
    public const string RingField = "ring";

    protected override Task ActAsync(string id, string actor, long? expectedVersion, IFormCollection form, CancellationToken ct)
    {
        int? ring = null;
        var text = form[RingField].ToString();
        if (text.Length > 0)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw ProblemException.Validation(RingField, $"ring must be a non-negative integer; got '{text}'.");
            }
            ring = parsed;
        }
        return rollouts.ApproveAsync(id, ring, actor, expectedVersion, ct);
    }
}
