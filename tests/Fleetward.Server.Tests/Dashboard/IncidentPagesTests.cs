using System.Net;
using Fleetward.Core.Access;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Dashboard.Sessions;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>The incident pages on a real server, with an incident produced by ingesting Mirai-like telemetry.</summary>
public sealed class IncidentPagesTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task The_list_shows_severity_state_device_cause_and_times_and_filters()
    {
        var mirai = await OperationsSeed.MiraiIncidentAsync(server);
        await OperationsSeed.DetectedIncidentAsync(server, "arm-2", "inc_00000000000000000001", "telnet scan to 40 addresses");
        var (browser, html, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/incidents");
        using var _ = browser;
        Assert.Contains("href=\"/dashboard/incidents/" + mirai.Id + "\"", html);
        Assert.Contains("href=\"/dashboard/devices/rover-7\"", html);
        Assert.Contains(">" + DetectionCauses.MiraiLike + "<", html);
        Assert.Contains("badge badge-bad\">high<", html);
        Assert.Contains("badge badge-warn\">contained<", html);
        Assert.Contains(">MTTD<", html);
        Assert.Contains("aria-current=\"page\" class=\"current\">Incidents<", html);

        var detected = await (await browser.GetPageAsync("/dashboard/incidents?status=detected&open=&device=&cause=")).Content.ReadAsStringAsync();
        Assert.Contains("arm-2", detected);
        Assert.DoesNotContain(mirai.Id, detected);
        var byDevice = await (await browser.GetPageAsync("/dashboard/incidents?device=rover-7&open=true")).Content.ReadAsStringAsync();
        Assert.Contains(mirai.Id, byDevice);
        Assert.DoesNotContain("arm-2", byDevice);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetPageAsync("/dashboard/incidents?status=open")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetPageAsync("/dashboard/incidents?severity=high")).StatusCode);
    }

    [Fact]
    public async Task The_detail_draws_the_timeline_of_detection_containment_and_playbook_steps()
    {
        var mirai = await OperationsSeed.MiraiIncidentAsync(server);
        var (browser, html, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/incidents/" + mirai.Id);
        using var _ = browser;
        Assert.Contains("id=\"incident-timeline\"", html);
        Assert.Matches("class=\"timeline-label\">[^<]*\\bdetected\\b", html);
        Assert.Matches("class=\"timeline-label\">[^<]*\\bcontained\\b", html);
        Assert.Matches("class=\"timeline-label\">[^<]*first anomaly", html);
        Assert.Contains("quarantine by ", html);
        Assert.Contains(">response: forensic-log-pull<", html);
        Assert.Contains("badge state-quarantined", html);
        Assert.DoesNotContain("/playbooks/", html);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetPageAsync("/dashboard/incidents/inc_none")).StatusCode);
    }

    [Fact]
    public async Task Playbook_buttons_run_through_the_incident_service_with_csrf_and_the_operator_role()
    {
        var mirai = await OperationsSeed.MiraiIncidentAsync(server);
        var path = "/dashboard/incidents/" + mirai.Id;
        var (browser, html, antiForgery) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Operator, path);
        using var _ = browser;
        foreach (var playbook in new[] { "rotate-credentials", "reattest", "forensic-pull", "release" })
        {
            Assert.Contains($"action=\"{path}/playbooks/{playbook}\"", html);
        }
        Assert.Contains($"action=\"{path}/resolve\"", html);
        Assert.DoesNotContain($"action=\"{path}/contain\"", html);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostFormAsync(path + "/playbooks/reattest", [])).StatusCode);
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        var reattest = await browser.PostFormAsync(path + "/playbooks/reattest", [new(DashboardSessions.AntiForgeryField, antiForgery)]);
        Assert.Equal(HttpStatusCode.SeeOther, reattest.StatusCode);
        Assert.Equal(path, reattest.Headers.Location!.OriginalString);
        Assert.Contains(await ActionsAsync(mirai.Id), a => a.Action == ResponseAction.ForceReattestation && a.Actor.StartsWith("token:", StringComparison.Ordinal));

        var noReason = await browser.PostFormAsync(path + "/playbooks/release", [new(DashboardSessions.AntiForgeryField, antiForgery), new("reason", " ")]);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostFormAsync(path + "/playbooks/reboot", [new(DashboardSessions.AntiForgeryField, antiForgery)])).StatusCode);
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        var release = await browser.PostFormAsync(path + "/playbooks/release", [new(DashboardSessions.AntiForgeryField, antiForgery), new("reason", "re-imaged and verified")]);
        Assert.Equal(HttpStatusCode.SeeOther, release.StatusCode);
        await using (var read = await server.Store.ReadAsync())
        {
            Assert.Equal(DeviceLifecycleState.Active, (await read.Devices.GetAsync("rover-7"))!.State);
            Assert.Equal(IncidentStatus.Recovered, (await read.Incidents.GetAsync(mirai.Id))!.Status);
        }
        var after = await (await browser.GetPageAsync(path)).Content.ReadAsStringAsync();
        Assert.Matches("class=\"timeline-label\">[^<]*recovered", after);
        Assert.DoesNotContain($"action=\"{path}/resolve\"", after);
        Assert.DoesNotContain($"action=\"{path}/playbooks/", after);

        var (auditor, _, auditorAntiForgery) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, path);
        using var __ = auditor;
        await ProblemAssert.IsProblemAsync(await auditor.PostFormAsync(path + "/playbooks/forensic-pull", [new(DashboardSessions.AntiForgeryField, auditorAntiForgery)]),
            HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Contain_and_resolve_follow_the_incident_phases_and_hostile_summaries_are_escaped()
    {
        var incident = await OperationsSeed.DetectedIncidentAsync(server, "arm-2", "inc_00000000000000000001", "<script>alert(1)</script> scan");
        var path = "/dashboard/incidents/" + incident.Id;
        var (browser, html, antiForgery) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Operator, path);
        using var _ = browser;
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; scan", html);
        Assert.Contains($"action=\"{path}/contain\"", html);
        Assert.DoesNotContain($"action=\"{path}/playbooks/release\"", html);

        var contained = await browser.PostFormAsync(path + "/contain", [new(DashboardSessions.AntiForgeryField, antiForgery)]);
        Assert.Equal(HttpStatusCode.SeeOther, contained.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await browser.PostFormAsync(path + "/contain", [new(DashboardSessions.AntiForgeryField, antiForgery)])).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostFormAsync(path + "/resolve", [new(DashboardSessions.AntiForgeryField, antiForgery), new("reason", "")])).StatusCode);
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        var dismissed = await browser.PostFormAsync(path + "/resolve",
            [new(DashboardSessions.AntiForgeryField, antiForgery), new("reason", "scheduled penetration test"), new(ResolveIncidentAction.FalsePositiveField, "true")]);
        Assert.Equal(HttpStatusCode.SeeOther, dismissed.StatusCode);
        await using var read = await server.Store.ReadAsync();
        Assert.Equal(IncidentStatus.Dismissed, (await read.Incidents.GetAsync(incident.Id))!.Status);
        var audit = await server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "incident.dismissed" && e.Subject == incident.Id);
        Assert.Contains(audit, e => e.Type == "incident.contain.refused");
    }

    private async Task<IReadOnlyList<IncidentActionRecord>> ActionsAsync(string id)
    {
        await using var read = await server.Store.ReadAsync();
        return await read.Incidents.ListActionsAsync(id);
    }
}

/// <summary>The pure parts of the incident pages: timeline marks and geometry.</summary>
public sealed class IncidentPageLogicTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Timeline_positions_scale_between_the_first_and_last_event_and_a_single_instant_is_centred()
    {
        Assert.Equal(SvgTimeline.Left, SvgTimeline.X(Now, Now, Now.AddHours(1)));
        Assert.Equal(SvgTimeline.Right, SvgTimeline.X(Now.AddHours(1), Now, Now.AddHours(1)));
        Assert.Equal((SvgTimeline.Left + SvgTimeline.Right) / 2, SvgTimeline.X(Now.AddMinutes(30), Now, Now.AddHours(1)));
        Assert.Equal((SvgTimeline.Left + SvgTimeline.Right) / 2, SvgTimeline.X(Now, Now, Now));
    }

    [Fact]
    public void Simultaneous_marks_of_a_lane_are_drawn_as_one_group_and_distant_ones_apart()
    {
        var groups = SvgTimeline.Group(
        [
            new(Now, "detected", TimelineLane.Milestone, "bad"),
            new(Now.AddSeconds(1), "contained", TimelineLane.Milestone, "warn"),
            new(Now.AddSeconds(1), "quarantine", TimelineLane.Response, "busy"),
            new(Now.AddSeconds(2), "forensic-log-pull", TimelineLane.Response, "busy"),
            new(Now.AddHours(1), "recovered", TimelineLane.Milestone, "good"),
        ]);
        Assert.Equal([["detected", "contained"], ["recovered"], ["quarantine", "forensic-log-pull"]],
            groups.Select(g => g.Marks.Select(m => m.Label).ToArray()).ToArray());
        Assert.Equal([SvgTimeline.Left, SvgTimeline.Right], groups.Where(g => g.Lane == TimelineLane.Milestone).Select(g => g.X));
    }

    [Fact]
    public void Marks_put_milestones_on_the_axis_and_detections_and_responses_in_their_lanes()
    {
        var finding = new DetectionFinding("d", DetectionCauses.MiraiLike, "telnet-scan", DetectionSeverity.High, "scan", Now.AddSeconds(-30), Now, 1, []);
        var incident = Incident.Open("inc_1", finding)
            .Merge(finding with { Signal = "deleted-executable", Severity = DetectionSeverity.Critical, DetectedAt = Now.AddMinutes(1) });
        incident = incident.Contain(Now.AddMinutes(2), "operator", "isolate").Incident!;
        var marks = IncidentDetailPage.Marks(incident, [new IncidentActionRecord("inc_1", ResponseAction.Quarantine, Now.AddMinutes(2), "operator")]);

        Assert.Equal(["first anomaly", "detected", "contained"], marks.Where(m => m.Lane == TimelineLane.Milestone).Select(m => m.Label));
        Assert.Equal(2, marks.Count(m => m.Lane == TimelineLane.Detection));
        Assert.Contains(marks, m => m.Lane == TimelineLane.Detection && m.Label.StartsWith("severity-raised:", StringComparison.Ordinal));
        Assert.Equal("quarantine by operator", Assert.Single(marks, m => m.Lane == TimelineLane.Response).Label);
    }

    [Fact]
    public void Filters_treat_empty_fields_as_any_and_links_keep_them()
    {
        var filter = IncidentListFilter.Parse(new Microsoft.AspNetCore.Http.QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>
        {
            ["status"] = "", ["open"] = "true", ["device"] = "rover 7", ["cause"] = "",
        }));
        Assert.Equal(new IncidentListFilter(null, true, "rover 7", null, null), filter);
        Assert.Equal("/dashboard/incidents?open=true&device=rover%207&before=inc_9", filter.Href("inc_9"));
    }
}

/// <summary>Every operations action refuses a session post without the anti-forgery token and an auditor's post, before it acts.</summary>
public sealed class OperationsActionGuardTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task No_action_runs_without_the_anti_forgery_token_or_below_the_operator_role()
    {
        await OperationsSeed.RolloutAsync(server);
        var incident = await OperationsSeed.MiraiIncidentAsync(server);
        var routes = new[] { "rollouts/rollout-1/pause", "rollouts/rollout-1/resume", "rollouts/rollout-1/approve", "rollouts/rollout-1/cancel" }
            .Concat(new[] { "contain", "resolve", "playbooks/rotate-credentials", "playbooks/reattest", "playbooks/forensic-pull", "playbooks/release" }
                .Select(action => $"incidents/{incident.Id}/{action}"))
            .ToList();
        var auditBefore = (await server.AuditEntriesAsync()).Count;

        var (operatorBrowser, _, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Operator, "/dashboard/");
        using var _ = operatorBrowser;
        var (auditor, _, auditorAntiForgery) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/");
        using var __ = auditor;
        foreach (var route in routes)
        {
            var forged = await operatorBrowser.PostFormAsync("/dashboard/" + route, [new("reason", "forged"), new(DashboardSessions.AntiForgeryField, "forged")]);
            Assert.True(forged.StatusCode == HttpStatusCode.BadRequest, $"{route} without the token answered {forged.StatusCode}");
            var forbidden = await auditor.PostFormAsync("/dashboard/" + route, [new("reason", "auditor"), new(DashboardSessions.AntiForgeryField, auditorAntiForgery)]);
            Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{route} as auditor answered {forbidden.StatusCode}");
        }

        // Only the two sign-ins and the auditor's refusals (audited like every refusal) were recorded: no action changed anything.
        var added = (await server.AuditEntriesAsync()).Skip(auditBefore).Select(e => e.Type).ToList();
        Assert.Equal(2, added.Count(t => t == "dashboard.session.started"));
        Assert.Equal(routes.Count, added.Count(t => t == "operator.access.refused"));
        Assert.Equal(2 + routes.Count, added.Count);
        Assert.Equal(Fleetward.Core.Rollouts.RolloutStatus.Running, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);
    }
}
