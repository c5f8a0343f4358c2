using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Detection;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>Colours and names of incident severities and statuses, shared by the incident pages and the device section.</summary>
public static class IncidentTones
{
    public static string SeverityName(DetectionSeverity severity) => severity.ToString().ToLowerInvariant();

    public static void Severity(HtmlWriter html, DetectionSeverity severity) =>
        DashboardLayout.Badge(html, SeverityName(severity), severity switch
        {
            DetectionSeverity.Critical or DetectionSeverity.High => "bad",
            DetectionSeverity.Medium => "warn",
            _ => "neutral",
        });

    public static void Status(HtmlWriter html, IncidentStatus status) =>
        DashboardLayout.Badge(html, status.ToName(), status switch
        {
            IncidentStatus.Detected => "bad",
            IncidentStatus.Contained => "warn",
            IncidentStatus.Eradicated => "busy",
            IncidentStatus.Recovered => "good",
            _ => "neutral",
        });
}

/// <summary>The incident list's filters as the form sends them (empty means any) and the id to continue before.</summary>
public sealed record IncidentListFilter(IncidentStatus? Status, bool OpenOnly, string? Device, string? Cause, string? Before)
{
    public static IncidentListFilter Parse(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (key is not ("status" or "open" or "device" or "cause" or "before"))
            {
                throw ProblemException.Validation(key, $"Unknown filter '{key}'; expected status, open, device, cause or before.");
            }
            if (query[key].Count > 1)
            {
                throw ProblemException.Validation(key, $"Filter '{key}' is given more than once.");
            }
        }
        IncidentStatus? status = null;
        if (Value(query, "status") is { } statusText)
        {
            if (!IncidentStatusNames.TryParse(statusText, out var parsed))
            {
                throw ProblemException.Validation("status", $"status must be detected, contained, eradicated, recovered or dismissed; got '{statusText}'.");
            }
            status = parsed;
        }
        var open = false;
        if (Value(query, "open") is { } openText && !bool.TryParse(openText, out open))
        {
            throw ProblemException.Validation("open", $"open must be true or false; got '{openText}'.");
        }
        return new IncidentListFilter(status, open, Value(query, "device"), Value(query, "cause"), Value(query, "before"));
    }

    public IncidentQuery ToQuery(int limit) => new(Before, limit, Status, OpenOnly, Device, Cause);

    public string Href(string? before)
    {
        var query = new QueryString()
            .Add(Status is { } status ? QueryString.Create("status", status.ToName()) : QueryString.Empty)
            .Add(OpenOnly ? QueryString.Create("open", "true") : QueryString.Empty)
            .Add(Device is null ? QueryString.Empty : QueryString.Create("device", Device))
            .Add(Cause is null ? QueryString.Empty : QueryString.Create("cause", Cause))
            .Add(before is null ? QueryString.Empty : QueryString.Create("before", before));
        return IncidentListPage.Path + query.Value;
    }

    private static string? Value(IQueryCollection query, string key)
    {
        var text = query[key].ToString().Trim();
        return text.Length == 0 ? null : text;
    }
}

/// <summary>Incidents newest first with severity, state, device, cause and the times to detect and recover; filterable and paged.</summary>
public sealed class IncidentListPage(IFleetStore store) : IDashboardPage
{
    public const string Path = DashboardEndpoints.BasePath + "/incidents";
    public const int PageSize = 50;

    public string Route => "/incidents";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Incidents", 40);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var filter = IncidentListFilter.Parse(request.Http.Request.Query);
        IReadOnlyList<Incident> incidents;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            incidents = await read.Incidents.ListAsync(filter.ToQuery(PageSize), request.Aborted);
        }
        return new DashboardView("Incidents", html => Render(html, filter, incidents, request.Now));
    }

    public static void Render(HtmlWriter html, IncidentListFilter filter, IReadOnlyList<Incident> incidents, DateTimeOffset now)
    {
        DashboardLayout.Heading(html, "Incidents", "Detections grouped per device and cause, from detection to recovery (NIST SP 800-61 phases).");
        var times = IncidentResponseTimes.Of(incidents);
        using (html.Open("section", ("class", "stats"), ("aria-label", "Response times")))
        {
            Stat(html, "Incidents shown", DashboardLayout.Count(incidents.Count));
            Stat(html, "Open", DashboardLayout.Count(incidents.Count(i => i.IsOpen)));
            Stat(html, "MTTD", times.MeanTimeToDetect is { } mttd ? DashboardLayout.Duration(mttd) : "–");
            Stat(html, "MTTR", times.MeanTimeToRecover is { } mttr ? DashboardLayout.Duration(mttr) : "–");
        }
        FilterForm(html, filter);
        using (html.Open("section", ("class", "card card-flush")))
        {
            if (incidents.Count == 0)
            {
                html.Element("p", filter.Before is null ? "No incident matches these filters." : "No more incidents.", ("class", "empty"));
            }
            else
            {
                Table(html, incidents, now, showDevice: true);
            }
        }
        using (html.Open("nav", ("class", "pager"), ("aria-label", "Pages")))
        {
            if (filter.Before is not null)
            {
                html.Element("a", "← Newest", ("href", filter.Href(before: null)), ("class", "button button-quiet"));
            }
            html.Element("span", $"{incidents.Count} shown", ("class", "muted"));
            if (incidents.Count == PageSize)
            {
                html.Element("a", "Older →", ("href", filter.Href(before: incidents[^1].Id)), ("class", "button button-quiet"), ("rel", "next"));
            }
        }
    }

    private static void Stat(HtmlWriter html, string label, string value)
    {
        using (html.Open("div", ("class", "stat")))
        {
            html.Element("div", value, ("class", "stat-value"));
            html.Element("div", label, ("class", "stat-label"));
        }
    }

    /// <summary>The incident table, also used by the device page's incident section.</summary>
    public static void Table(HtmlWriter html, IReadOnlyList<Incident> incidents, DateTimeOffset now, bool showDevice)
    {
        using (html.Open("div", ("class", "table-scroll")))
        using (html.Open("table", ("class", "table incidents")))
        {
            using (html.Open("thead"))
            using (html.Open("tr"))
            {
                var headings = showDevice
                    ? new[] { "Incident", "Severity", "State", "Device", "Cause", "Summary", "Detected", "TTD", "TTR" }
                    : new[] { "Incident", "Severity", "State", "Cause", "Summary", "Detected", "TTD", "TTR" };
                foreach (var heading in headings)
                {
                    html.Element("th", heading, ("scope", "col"));
                }
            }
            using (html.Open("tbody"))
            {
                foreach (var incident in incidents)
                {
                    using (html.Open("tr"))
                    {
                        using (html.Open("td", ("data-label", "Incident")))
                        {
                            html.Element("a", incident.Id, ("href", IncidentDetailPage.Href(incident.Id)), ("class", "mono"));
                        }
                        using (html.Open("td", ("data-label", "Severity")))
                        {
                            IncidentTones.Severity(html, incident.Severity);
                        }
                        using (html.Open("td", ("data-label", "State")))
                        {
                            IncidentTones.Status(html, incident.Status);
                        }
                        if (showDevice)
                        {
                            using (html.Open("td", ("data-label", "Device")))
                            {
                                html.Element("a", incident.DeviceId, ("href", DeviceDetailPage.Href(incident.DeviceId)), ("class", "mono"));
                            }
                        }
                        html.Element("td", incident.Cause, ("data-label", "Cause"), ("class", "mono"));
                        html.Element("td", incident.Summary, ("data-label", "Summary"), ("class", "summary"));
                        using (html.Open("td", ("data-label", "Detected")))
                        {
                            DashboardLayout.CompactInstant(html, incident.DetectedAt, now);
                        }
                        html.Element("td", DashboardLayout.Duration(incident.TimeToDetect), ("data-label", "TTD"), ("class", "num"));
                        html.Element("td", incident.TimeToRecover is { } ttr ? DashboardLayout.Duration(ttr) : "–", ("data-label", "TTR"), ("class", "num"));
                    }
                }
            }
        }
    }

    private static void FilterForm(HtmlWriter html, IncidentListFilter filter)
    {
        using (html.Open("form", ("class", "filters"), ("method", "get"), ("action", Path)))
        {
            using (html.Open("label"))
            {
                html.Element("span", "State");
                using (html.Open("select", ("name", "status")))
                {
                    html.Element("option", "any state", ("value", ""));
                    foreach (var status in Enum.GetValues<IncidentStatus>())
                    {
                        html.Element("option", status.ToName(), ("value", status.ToName()), ("selected", filter.Status == status ? "selected" : null));
                    }
                }
            }
            using (html.Open("label"))
            {
                html.Element("span", "Open only");
                using (html.Open("select", ("name", "open")))
                {
                    html.Element("option", "all", ("value", ""));
                    html.Element("option", "open only", ("value", "true"), ("selected", filter.OpenOnly ? "selected" : null));
                }
            }
            using (html.Open("label"))
            {
                html.Element("span", "Device");
                html.Void("input", ("type", "text"), ("name", "device"), ("value", filter.Device ?? ""), ("placeholder", "device id"));
            }
            using (html.Open("label"))
            {
                html.Element("span", "Cause");
                html.Void("input", ("type", "text"), ("name", "cause"), ("value", filter.Cause ?? ""), ("placeholder", "e.g. " + DetectionCauses.MiraiLike));
            }
            html.Element("button", "Apply", ("type", "submit"), ("class", "button"));
            if (filter != new IncidentListFilter(null, false, null, null, null))
            {
                html.Element("a", "Clear", ("href", Path), ("class", "button button-quiet"));
            }
        }
    }
}

/// <summary>
/// One incident: facts, the times to detect and recover, an SVG timeline of milestones, detections and
/// responses, the same events as a table, and the one-click playbooks for operators.
/// </summary>
public sealed class IncidentDetailPage(IFleetStore store) : IDashboardPage
{
    public string Route => "/incidents/{id}";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation? Navigation => null;

    public static string Href(string id) => IncidentListPage.Path + "/" + Uri.EscapeDataString(id);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The incident id is missing.");
        Incident incident;
        IReadOnlyList<IncidentActionRecord> actions;
        Core.Devices.Device? device;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            incident = await read.Incidents.GetAsync(id, request.Aborted) ?? throw ProblemException.NotFound($"No incident with id '{id}'.");
            actions = await read.Incidents.ListActionsAsync(id, request.Aborted);
            device = await read.Devices.GetAsync(incident.DeviceId, request.Aborted);
        }
        return new DashboardView("Incident " + incident.Id, html => Render(html, request, incident, actions, device));
    }

    /// <summary>The timeline's marks: milestones on the axis, detection events and responses in their lanes.</summary>
    public static IReadOnlyList<TimelineMark> Marks(Incident incident, IReadOnlyList<IncidentActionRecord> actions)
    {
        var marks = new List<TimelineMark>
        {
            new(incident.FirstAnomalousAt, "first anomaly", TimelineLane.Milestone, "bad"),
            new(incident.DetectedAt, "detected", TimelineLane.Milestone, "bad"),
        };
        void Milestone(DateTimeOffset? at, string label, string tone)
        {
            if (at is { } value)
            {
                marks.Add(new(value, label, TimelineLane.Milestone, tone));
            }
        }
        Milestone(incident.ContainedAt, "contained", "warn");
        Milestone(incident.EradicatedAt, "eradicated", "busy");
        Milestone(incident.RecoveredAt, "recovered", "good");
        Milestone(incident.DismissedAt, "dismissed", "neutral");
        foreach (var entry in incident.Timeline)
        {
            if (entry.Kind is IncidentEventKind.DetectionAdded or IncidentEventKind.SeverityRaised or IncidentEventKind.AlarmCleared)
            {
                marks.Add(new(entry.At, KindName(entry.Kind) + ": " + entry.Detail, TimelineLane.Detection,
                    entry.Kind == IncidentEventKind.AlarmCleared ? "good" : "bad"));
            }
        }
        foreach (var action in actions)
        {
            marks.Add(new(action.TakenAt, action.Action.ToName() + " by " + action.Actor, TimelineLane.Response, "busy"));
        }
        return marks;
    }

    public static string KindName(IncidentEventKind kind) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    public static void Render(HtmlWriter html, DashboardRequest request, Incident incident, IReadOnlyList<IncidentActionRecord> actions, Core.Devices.Device? device)
    {
        var now = request.Now;
        using (html.Open("nav", ("class", "breadcrumb"), ("aria-label", "Breadcrumb")))
        {
            html.Element("a", "Incidents", ("href", IncidentListPage.Path));
            html.Element("span", " / ", ("aria-hidden", "true"));
            html.Element("span", incident.Id, ("aria-current", "page"));
        }
        using (html.Open("div", ("class", "page-head page-head-row")))
        {
            html.Element("h1", incident.Id, ("class", "mono"));
            IncidentTones.Severity(html, incident.Severity);
            IncidentTones.Status(html, incident.Status);
        }
        html.Element("p", incident.Summary, ("class", "lead incident-summary"));
        using (html.Open("section", ("class", "stats"), ("aria-label", "Response times")))
        {
            Stat(html, "Time to detect", DashboardLayout.Duration(incident.TimeToDetect));
            Stat(html, "Time to recover", incident.TimeToRecover is { } ttr ? DashboardLayout.Duration(ttr) : incident.IsOpen ? "open" : "–");
            Stat(html, "Detections", DashboardLayout.Count(incident.DetectionCount));
            Stat(html, "Responses", DashboardLayout.Count(actions.Count));
        }
        Playbooks(html, request, incident, device);
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "timeline-heading")))
        {
            html.Element("h2", "Timeline", ("id", "timeline-heading"));
            SvgTimeline.Render(html, "incident-timeline", $"Timeline of {incident.Id}", Marks(incident, actions));
        }
        using (html.Open("div", ("class", "grid-2")))
        {
            using (html.Open("section", ("class", "card"), ("aria-labelledby", "facts-heading")))
            {
                html.Element("h2", "Facts", ("id", "facts-heading"));
                using (html.Open("dl", ("class", "facts facts-compact")))
                {
                    DashboardLayout.Fact(html, "Device", () =>
                    {
                        html.Element("a", incident.DeviceId, ("href", DeviceDetailPage.Href(incident.DeviceId)), ("class", "mono"));
                        if (device is not null)
                        {
                            html.Text(" ");
                            DashboardLayout.StateBadge(html, device.State);
                        }
                    });
                    DashboardLayout.Fact(html, "Cause", () => html.Element("span", incident.Cause, ("class", "mono")));
                    DashboardLayout.Fact(html, "Signals", () =>
                    {
                        foreach (var signal in incident.Signals)
                        {
                            html.Element("span", signal, ("class", "tag"));
                        }
                    });
                    DashboardLayout.Fact(html, "First anomalous sample", () => DashboardLayout.Instant(html, incident.FirstAnomalousAt, now));
                    DashboardLayout.Fact(html, "Detected", () => DashboardLayout.Instant(html, incident.DetectedAt, now));
                    DashboardLayout.Fact(html, "Last detected", () => DashboardLayout.Instant(html, incident.LastDetectedAt, now));
                    DashboardLayout.Fact(html, "Contained", () => DashboardLayout.Instant(html, incident.ContainedAt, now));
                    DashboardLayout.Fact(html, "Eradicated", () => DashboardLayout.Instant(html, incident.EradicatedAt, now));
                    DashboardLayout.Fact(html, incident.DismissedAt is null ? "Recovered" : "Dismissed",
                        () => DashboardLayout.Instant(html, incident.RecoveredAt ?? incident.DismissedAt, now));
                }
            }
            using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "responses-heading")))
            {
                html.Element("h2", "Responses taken", ("id", "responses-heading"), ("class", "card-title"));
                if (actions.Count == 0)
                {
                    html.Element("p", "No response yet.", ("class", "empty"));
                }
                else
                {
                    using (html.Open("table", ("class", "table")))
                    {
                        using (html.Open("thead"))
                        using (html.Open("tr"))
                        {
                            html.Element("th", "Response", ("scope", "col"));
                            html.Element("th", "By", ("scope", "col"));
                            html.Element("th", "When", ("scope", "col"));
                        }
                        using (html.Open("tbody"))
                        {
                            foreach (var action in actions.OrderBy(a => a.TakenAt))
                            {
                                using (html.Open("tr"))
                                {
                                    html.Element("td", action.Action.ToName(), ("data-label", "Response"), ("class", "mono"));
                                    html.Element("td", action.Actor, ("data-label", "By"), ("class", "mono"));
                                    using (html.Open("td", ("data-label", "When")))
                                    {
                                        DashboardLayout.CompactInstant(html, action.TakenAt, now);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "events-heading")))
        {
            html.Element("h2", "Events", ("id", "events-heading"), ("class", "card-title"));
            using (html.Open("div", ("class", "table-scroll")))
            using (html.Open("table", ("class", "table timeline-table")))
            {
                using (html.Open("thead"))
                using (html.Open("tr"))
                {
                    foreach (var heading in new[] { "When", "Event", "By", "Detail" })
                    {
                        html.Element("th", heading, ("scope", "col"));
                    }
                }
                using (html.Open("tbody"))
                {
                    var rows = incident.Timeline.Select(t => (t.At, Kind: KindName(t.Kind), t.Actor, t.Detail))
                        .Concat(actions.Select(a => (At: a.TakenAt, Kind: "response: " + a.Action.ToName(), a.Actor, Detail: "")))
                        .OrderBy(r => r.At);
                    foreach (var row in rows)
                    {
                        using (html.Open("tr"))
                        {
                            using (html.Open("td", ("data-label", "When")))
                            {
                                DashboardLayout.Instant(html, row.At, now);
                            }
                            html.Element("td", row.Kind, ("data-label", "Event"), ("class", "mono"));
                            html.Element("td", row.Actor, ("data-label", "By"), ("class", "mono"));
                            html.Element("td", row.Detail, ("data-label", "Detail"));
                        }
                    }
                }
            }
        }
    }

    private static void Stat(HtmlWriter html, string label, string value)
    {
        using (html.Open("div", ("class", "stat")))
        {
            html.Element("div", value, ("class", "stat-value"));
            html.Element("div", label, ("class", "stat-label"));
        }
    }

    /// <summary>The one-click responses, for operators; each form posts to an action that goes through <see cref="IncidentService"/>.</summary>
    private static void Playbooks(HtmlWriter html, DashboardRequest request, Incident incident, Core.Devices.Device? device)
    {
        if (!request.Identity.Role.Satisfies(OperatorRole.Operator))
        {
            return;
        }
        var route = "/incidents/" + Uri.EscapeDataString(incident.Id);
        using (html.Open("section", ("class", "card playbooks"), ("aria-labelledby", "playbooks-heading")))
        {
            html.Element("h2", "Playbooks", ("id", "playbooks-heading"));
            if (incident.IsOpen)
            {
                using (html.Open("div", ("class", "action-bar")))
                {
                    if (incident.Status == IncidentStatus.Detected)
                    {
                        DashboardLayout.ActionForm(html, request, route + "/contain", "Contain (quarantine)", "inline-form playbook-contain");
                    }
                    DashboardLayout.ActionForm(html, request, route + "/playbooks/rotate-credentials", "Rotate credentials", "inline-form playbook-rotate-credentials");
                    DashboardLayout.ActionForm(html, request, route + "/playbooks/reattest", "Re-attest", "inline-form playbook-reattest");
                    DashboardLayout.ActionForm(html, request, route + "/playbooks/forensic-pull", "Forensic pull", "inline-form playbook-forensic-pull");
                }
            }
            else if (device is not { State: Core.Devices.DeviceLifecycleState.Quarantined })
            {
                html.Element("p", $"The incident is {incident.Status.ToName()}; run playbooks on a new incident or from the API.", ("class", "muted"));
            }
            using (html.Open("div", ("class", "grid-2 reason-forms")))
            {
                if (device is { State: Core.Devices.DeviceLifecycleState.Quarantined })
                {
                    DashboardLayout.ReasonForm(html, request, route + "/playbooks/release", "Release from quarantine", "reason-form playbook-release",
                        IncidentPlaybookAction.ReasonField, "Why is the device safe again?", "e.g. re-imaged and verified");
                }
                if (incident.IsOpen)
                {
                    DashboardLayout.ReasonForm(html, request, route + "/resolve", "Resolve as recovered", "reason-form incident-resolve",
                        IncidentPlaybookAction.ReasonField, "Resolution", "e.g. re-imaged, keys rotated");
                }
                if (incident.Status is IncidentStatus.Detected or IncidentStatus.Contained)
                {
                    DashboardLayout.ReasonForm(html, request, route + "/resolve", "Dismiss as false positive", "reason-form incident-dismiss",
                        IncidentPlaybookAction.ReasonField, "Why is it a false positive?", "e.g. scheduled penetration test",
                        (ResolveIncidentAction.FalsePositiveField, "true"));
                }
            }
        }
    }
}

/// <summary>Contains an incident from its page through <see cref="IncidentService.ContainAsync"/> (operator, like POST /incidents/{id}/contain).</summary>
public sealed class ContainIncidentAction(IncidentService incidents) : IDashboardAction
{
    public string Route => "/incidents/{id}/contain";

    public OperatorRole Role => OperatorRole.Operator;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The incident id is missing.");
        var reason = form[IncidentPlaybookAction.ReasonField].ToString().Trim();
        IncidentPlaybookAction.Refuse(await incidents.ContainAsync(id, request.Identity.Actor, reason.Length == 0 ? null : reason, request.Aborted));
        return IncidentDetailPage.Href(id);
    }
}

/// <summary>Resolves an incident as recovered, or dismissed when the form says false positive; a reason is required as in the API.</summary>
public sealed class ResolveIncidentAction(IncidentService incidents) : IDashboardAction
{
    public const string FalsePositiveField = "falsePositive";

    public string Route => "/incidents/{id}/resolve";

    public OperatorRole Role => OperatorRole.Operator;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The incident id is missing.");
        var reason = form[IncidentPlaybookAction.ReasonField].ToString().Trim();
        if (reason.Length == 0)
        {
            throw ProblemException.Validation(IncidentPlaybookAction.ReasonField, "Resolving an incident needs a reason.");
        }
        var falsePositive = form[FalsePositiveField].ToString() == "true";
        IncidentPlaybookAction.Refuse(await incidents.ResolveAsync(id, request.Identity.Actor, reason, falsePositive, request.Aborted));
        return IncidentDetailPage.Href(id);
    }
}

/// <summary>
/// Runs a named playbook (<see cref="IncidentEndpoints.Playbooks"/>) on the incident's device for this incident,
/// through <see cref="IncidentService.RunPlaybookAsync"/> with the API's role (operator); release and zeroize
/// need a reason, as in the API.
/// </summary>
public sealed class IncidentPlaybookAction(IncidentService incidents, IFleetStore store) : IDashboardAction
{
    public const string ReasonField = "reason";

    public string Route => "/incidents/{id}/playbooks/{playbook}";

    public OperatorRole Role => OperatorRole.Operator;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The incident id is missing.");
        var name = request.RouteValue("playbook") ?? "";
        if (!IncidentEndpoints.Playbooks.TryGetValue(name, out var action))
        {
            throw ProblemException.Validation("playbook", $"Unknown playbook '{name}'; expected one of {string.Join(", ", IncidentEndpoints.Playbooks.Keys)}.");
        }
        var reason = form[ReasonField].ToString().Trim();
        if (action is ResponseAction.ReleaseFromQuarantine or ResponseAction.Zeroize && reason.Length == 0)
        {
            throw ProblemException.Validation(ReasonField, $"The {name} playbook needs a reason.");
        }
        Incident incident;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            incident = await read.Incidents.GetAsync(id, request.Aborted) ?? throw ProblemException.NotFound($"No incident with id '{id}'.");
        }
        Refuse(await incidents.RunPlaybookAsync(incident.DeviceId, action, incident.Id, request.Identity.Actor, reason.Length == 0 ? null : reason, request.Aborted));
        return IncidentDetailPage.Href(id);
    }

    /// <summary>A refused operator action becomes the same problem the API answers with.</summary>
    public static void Refuse(OperatorActionResult result)
    {
        switch (result.Refusal)
        {
            case null:
                return;
            case OperatorRefusalKind.NotFound:
                throw ProblemException.NotFound(result.Reason!);
            case OperatorRefusalKind.Invalid:
                throw ProblemException.Validation(ReasonField, result.Reason!);
            default:
                throw new ProblemException(new Problem(ProblemType.Conflict, result.Reason!));
        }
    }
}
