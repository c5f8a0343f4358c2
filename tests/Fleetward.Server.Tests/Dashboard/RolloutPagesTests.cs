using System.Net;
using Fleetward.Core.Access;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Dashboard.Sessions;
using Fleetward.Server.Rollouts;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>The rollout pages on a real server with a rollout driven through the real check-in service.</summary>
public sealed class RolloutPagesTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    /// <summary>Signs in with a session cookie and returns the page's HTML and its anti-forgery token.</summary>
    public static async Task<(DashboardClient Browser, string Html, string AntiForgery)> OpenAsync(TestServer server, OperatorRole role, string path)
    {
        var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(role));
        var response = await browser.GetPageAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        return (browser, html, DashboardClient.HiddenField(html, DashboardSessions.AntiForgeryField));
    }

    [Fact]
    public async Task The_list_shows_state_release_ring_progress_and_outcome_counts()
    {
        await OperationsSeed.RolloutAsync(server);
        var (browser, html, _) = await OpenAsync(server, OperatorRole.Auditor, "/dashboard/rollouts");
        using var _ = browser;
        Assert.Contains("href=\"/dashboard/rollouts/rollout-1\"", html);
        Assert.Contains("badge badge-busy\">running<", html);
        Assert.Contains("svg viewBox=\"0 0 300 14\" class=\"chart chart-progress\"", html);
        Assert.Contains(">2.0.0<", html);
        Assert.Contains("aria-current=\"page\" class=\"current\">Rollouts<", html);

        var running = await browser.GetPageAsync("/dashboard/rollouts?status=running");
        Assert.Contains("rollout-1", await running.Content.ReadAsStringAsync());
        var completed = await (await browser.GetPageAsync("/dashboard/rollouts?status=completed")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("rollout-1", completed);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetPageAsync("/dashboard/rollouts?status=lost")).StatusCode);
    }

    [Fact]
    public async Task The_detail_shows_rings_gates_devices_maintenance_and_history_and_no_actions_to_an_auditor()
    {
        var fleet = await OperationsSeed.RolloutAsync(server);
        var view = await new RolloutService(server.Store, server.Clock).GetAsync(OperationsSeed.RolloutId, default);
        Assert.True(view.Devices["succeeded"] > 0 && view.Devices["rolled-back"] > 0 && view.Devices["downloading"] > 0, "the seed has devices in several states");
        var (browser, html, _) = await OpenAsync(server, OperatorRole.Auditor, "/dashboard/rollouts/rollout-1");
        using var _ = browser;

        Assert.Contains("id=\"rings-heading\"", html);
        Assert.Contains("id=\"ring-0\"", html);
        Assert.Contains("needs 95% of " + view.Rings[0].TargetDevices + " succeeded", html);
        Assert.Contains(">0 */6 * * *<", html);
        Assert.Contains("bypass the windows", html);
        Assert.Contains("id=\"window-state\">open<", html);
        Assert.Contains("rollout.started", html);
        Assert.Contains("health check failed after 3 boots", html);
        var failedDevice = fleet.Devices.Values.First(d => d.Bad).Device.Id;
        Assert.Contains("href=\"/dashboard/devices/" + failedDevice + "\"", html);
        Assert.DoesNotContain("/rollouts/rollout-1/pause", html);
        Assert.DoesNotContain("/rollouts/rollout-1/cancel", html);

        var failedOnly = await (await browser.GetPageAsync("/dashboard/rollouts/rollout-1?status=rolled-back")).Content.ReadAsStringAsync();
        Assert.Contains(failedDevice, failedOnly);
        Assert.DoesNotContain(fleet.Devices.Values.First(d => d.Stalls).Device.Id, failedOnly);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetPageAsync("/dashboard/rollouts/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetPageAsync("/dashboard/rollouts/rollout-1?status=gone")).StatusCode);
    }

    [Fact]
    public async Task Pause_and_resume_need_the_anti_forgery_token_the_operator_role_and_the_current_version()
    {
        await OperationsSeed.RolloutAsync(server);
        var (browser, html, antiForgery) = await OpenAsync(server, OperatorRole.Operator, "/dashboard/rollouts/rollout-1");
        using var _ = browser;
        Assert.Contains("action=\"/dashboard/rollouts/rollout-1/pause\"", html);
        Assert.Contains("action=\"/dashboard/rollouts/rollout-1/cancel\"", html);
        var version = DashboardClient.HiddenField(html, RolloutAction.VersionField);

        var forged = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/pause", [new(RolloutAction.VersionField, version)]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(RolloutStatus.Running, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);

        var paused = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/pause",
            [new(DashboardSessions.AntiForgeryField, antiForgery), new(RolloutAction.VersionField, version)]);
        Assert.Equal(HttpStatusCode.SeeOther, paused.StatusCode);
        Assert.Equal("/dashboard/rollouts/rollout-1", paused.Headers.Location!.OriginalString);
        Assert.Equal(RolloutStatus.Paused, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);

        // A second click from the same (now stale) page is a conflict, not a second action.
        var stale = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/resume",
            [new(DashboardSessions.AntiForgeryField, antiForgery), new(RolloutAction.VersionField, version)]);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);

        var page = await (await browser.GetPageAsync("/dashboard/rollouts/rollout-1")).Content.ReadAsStringAsync();
        Assert.Contains("action=\"/dashboard/rollouts/rollout-1/resume\"", page);
        var resumed = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/resume",
            [new(DashboardSessions.AntiForgeryField, antiForgery), new(RolloutAction.VersionField, DashboardClient.HiddenField(page, RolloutAction.VersionField))]);
        Assert.Equal(HttpStatusCode.SeeOther, resumed.StatusCode);
        Assert.Equal(RolloutStatus.Running, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);

        var audit = await server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "rollout.paused" && e.Actor.StartsWith("token:", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Type == "rollout.resumed");

        var (auditor, _, auditorAntiForgery) = await OpenAsync(server, OperatorRole.Auditor, "/dashboard/rollouts/rollout-1");
        using var __ = auditor;
        var forbidden = await auditor.PostFormAsync("/dashboard/rollouts/rollout-1/pause", [new(DashboardSessions.AntiForgeryField, auditorAntiForgery)]);
        await ProblemAssert.IsProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(RolloutStatus.Running, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);
    }

    [Fact]
    public async Task Approve_opens_the_next_ring_and_cancel_ends_the_rollout()
    {
        await OperationsSeed.RolloutAsync(server, approval: true);
        var (browser, html, antiForgery) = await OpenAsync(server, OperatorRole.Operator, "/dashboard/rollouts/rollout-1");
        using var _ = browser;
        Assert.Contains("soaked; waiting for an operator&#x27;s approval", html);
        Assert.Contains(">Approve ring 1<", html);
        var approve = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/approve",
            [new(DashboardSessions.AntiForgeryField, antiForgery), new(RolloutAction.VersionField, DashboardClient.HiddenField(html, RolloutAction.VersionField)),
             new(ApproveRolloutRingAction.RingField, "0")]);
        Assert.Equal(HttpStatusCode.SeeOther, approve.StatusCode);
        var stored = await OperationsSeed.StoredAsync(server, "rollout-1");
        Assert.Equal(RingStatus.Passed, stored.State.Rings[0].Status);
        Assert.Equal(1, stored.State.CurrentRing);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostFormAsync("/dashboard/rollouts/rollout-1/cancel", [])).StatusCode);
        var cancelled = await browser.PostFormAsync("/dashboard/rollouts/rollout-1/cancel", [new(DashboardSessions.AntiForgeryField, antiForgery)]);
        Assert.Equal(HttpStatusCode.SeeOther, cancelled.StatusCode);
        Assert.Equal(RolloutStatus.Cancelled, (await OperationsSeed.StoredAsync(server, "rollout-1")).State.Status);
        var after = await (await browser.GetPageAsync("/dashboard/rollouts/rollout-1")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("/rollouts/rollout-1/pause", after);
        Assert.Contains("badge badge-neutral\">cancelled<", after);
    }

    [Fact]
    public async Task Hostile_release_names_are_escaped_on_the_list_and_the_detail()
    {
        await OperationsSeed.InsertAsync(server, OperationsSeed.Definition("hostile", releaseId: "fw\"><script>alert(1)</script>", version: "<img src=x onerror=alert(2)>"));
        var (browser, list, _) = await OpenAsync(server, OperatorRole.Auditor, "/dashboard/rollouts");
        using var _ = browser;
        var detail = await (await browser.GetPageAsync("/dashboard/rollouts/hostile")).Content.ReadAsStringAsync();
        foreach (var html in new[] { list, detail })
        {
            Assert.DoesNotContain("<img src=x", html);
            Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", html);
        }
        Assert.DoesNotContain("<script>", detail);
        Assert.Contains("fw&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", detail);
    }
}

/// <summary>The pure parts of the rollout pages: folding counts, gate wording and the progress bar geometry.</summary>
public sealed class RolloutPageLogicTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_tally_folds_every_in_progress_phase_and_both_rollback_states()
    {
        var tally = RolloutTally.From(new Dictionary<string, int>
        {
            ["assigned"] = 1, ["downloading"] = 2, ["installing"] = 3, ["verifying"] = 4, ["succeeded"] = 10, ["failed"] = 5,
            ["rollback-pending"] = 6, ["rolled-back"] = 7, ["withdrawn"] = 8,
        });
        Assert.Equal(new RolloutTally(10, 5, 10, 13, 8), tally);
        Assert.Equal(46, tally.Total);
    }

    [Theory]
    [InlineData("active", null, "needs 95% of 40 succeeded; 25% succeeded")]
    [InlineData("soaking", -10.0, "soaking, 20 min left")]
    [InlineData("soaking", -45.0, "soak complete")]
    [InlineData("awaiting-approval", null, "soaked; waiting for an operator's approval")]
    [InlineData("passed", null, "passed (10 succeeded, 2 failed)")]
    public void The_gate_says_what_the_ring_waits_for(string status, double? soakStartedMinutesAgo, string expected)
    {
        var ring = new RingView(0, 10m, 1800, 95m, false, status, 40, 10, 2, 0, new Dictionary<string, int>(), Now.AddHours(-1),
            soakStartedMinutesAgo is { } minutes ? Now.AddMinutes(minutes) : null, null);
        Assert.Equal(expected, RolloutDetailPage.Gate(ring, Now));
    }

    [Fact]
    public void Progress_segments_are_laid_end_to_end_out_of_the_whole()
    {
        var segments = SvgProgressBar.Segments([new("a", 10), new("b", 5), new("c", 0)], 60);
        Assert.Equal([(0.0, 50.0), (50.0, 25.0), (75.0, 0.0)], segments);
        // More devices than targets (late joiners after completion): the bar fills, never overflows.
        Assert.Equal(SvgProgressBar.Width, SvgProgressBar.Segments([new("a", 30), new("b", 30)], 40).Sum(s => s.Width), 6);
        Assert.All(SvgProgressBar.Segments([new("a", 0)], 0), s => Assert.Equal(0, s.Width));
    }

    [Fact]
    public void Device_filter_names_a_bad_state_and_links_keep_it()
    {
        var filter = RolloutDeviceFilter.Parse(new Microsoft.AspNetCore.Http.QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>
        {
            ["status"] = "rolled-back",
        }));
        Assert.Equal(DeviceUpdateStatus.RolledBack, filter.Status);
        Assert.Equal("/dashboard/rollouts/r%201?status=rolled-back&after=d-9", filter.Href("r 1", "d-9"));
        var error = Assert.Throws<Fleetward.Server.Problems.ProblemException>(() => RolloutDeviceFilter.Parse(
            new Microsoft.AspNetCore.Http.QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues> { ["status"] = "lost" })));
        Assert.Equal("status", error.Problem.Field);
    }
}
