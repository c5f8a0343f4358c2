using System.Net;
using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard.Sessions;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>Sign-in, sessions, anti-forgery, redirects and hardening headers of the dashboard, over real HTTPS.</summary>
public sealed class DashboardAccessTests
{
    [Fact]
    public async Task An_unauthenticated_page_request_is_sent_to_sign_in_but_api_clients_get_401_problem_json()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var page = await browser.GetPageAsync("/dashboard/devices?state=active");
        Assert.Equal(HttpStatusCode.SeeOther, page.StatusCode);
        Assert.Equal("/dashboard/login?next=%2Fdashboard%2Fdevices%3Fstate%3Dactive", page.Headers.Location!.OriginalString);

        var script = await server.OperatorClient().GetAsync("/dashboard/devices");
        await ProblemAssert.IsProblemAsync(script, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Signing_in_sets_a_hardened_session_cookie_and_opens_the_pages()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var login = await browser.GetPageAsync("/dashboard/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        AssertHardened(login);

        var signIn = await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor), "/dashboard/devices");
        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        Assert.Equal("/dashboard/devices", signIn.Headers.Location!.OriginalString);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expires=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(server.TokenFor(OperatorRole.Auditor), cookie);

        foreach (var path in new[] { "/dashboard/", "/dashboard", "/dashboard/devices" })
        {
            var page = await browser.GetPageAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            AssertHardened(page);
            var body = await page.Content.ReadAsStringAsync();
            Assert.Contains("test auditor", body);
            Assert.Contains("Sign out", body);
        }
        var audit = await server.AuditEntriesAsync();
        Assert.Contains(audit, entry => entry.Type == "dashboard.session.started");
    }

    [Fact]
    public async Task The_session_cookie_does_not_authenticate_the_api()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Admin));
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devices");
        var response = await browser.SendAsync(request);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Sign_in_needs_the_forms_anti_forgery_value()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        await browser.GetPageAsync("/dashboard/login");
        var response = await browser.PostFormAsync("/dashboard/login",
            [new("token", server.TokenFor(OperatorRole.Admin)), new(DashboardSessions.AntiForgeryField, "forged")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(browser.SessionCookie);
    }

    [Theory]
    [InlineData("fw_0123456789abcdef_notatoken")]
    [InlineData("not a token")]
    public async Task Unknown_or_malformed_tokens_are_refused_on_the_form(string token)
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var response = await browser.SignInAsync(token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("role=\"alert\"", await response.Content.ReadAsStringAsync());
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task A_provisioner_token_cannot_sign_in()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var response = await browser.SignInAsync(server.TokenFor(OperatorRole.Provisioner));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("requires auditor", await response.Content.ReadAsStringAsync());
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task Revoking_the_token_ends_its_sessions_at_once()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var issued = await new ApiTokenIssuer(server.Store, server.Clock).IssueAsync("alice", OperatorRole.Operator, null, "test", default);
        await browser.SignInAsync(issued.PlainText);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetPageAsync("/dashboard/devices")).StatusCode);

        await new ApiTokenIssuer(server.Store, server.Clock).RevokeAsync(issued.Token.Id, "test", default);
        var after = await browser.GetPageAsync("/dashboard/devices");
        Assert.Equal(HttpStatusCode.SeeOther, after.StatusCode);
        Assert.StartsWith("/dashboard/login", after.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_session_ends_when_its_lifetime_or_its_tokens_expiry_passes()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var issued = await new ApiTokenIssuer(server.Store, server.Clock).IssueAsync("short", OperatorRole.Auditor, TestServer.Start.AddMinutes(5), "test", default);
        await browser.SignInAsync(issued.PlainText);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetPageAsync("/dashboard/")).StatusCode);
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetPageAsync("/dashboard/")).StatusCode);

        using var other = new DashboardClient(server);
        await other.SignInAsync(server.TokenFor(OperatorRole.Admin));
        server.Clock.Advance(DashboardSessions.DefaultLifetime);
        Assert.Equal(HttpStatusCode.SeeOther, (await other.GetPageAsync("/dashboard/")).StatusCode);
    }

    [Fact]
    public async Task Sign_out_needs_the_sessions_anti_forgery_token_and_then_the_old_cookie_is_dead()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor));
        var page = await (await browser.GetPageAsync("/dashboard/")).Content.ReadAsStringAsync();
        var stolenCookie = browser.SessionCookie!;

        var forged = await browser.PostFormAsync("/dashboard/logout", [new(DashboardSessions.AntiForgeryField, "forged")]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetPageAsync("/dashboard/")).StatusCode);

        var signOut = await browser.PostFormAsync("/dashboard/logout",
            [new(DashboardSessions.AntiForgeryField, DashboardClient.HiddenField(page, DashboardSessions.AntiForgeryField))]);
        Assert.Equal(HttpStatusCode.SeeOther, signOut.StatusCode);
        Assert.Equal("/dashboard/login", signOut.Headers.Location!.OriginalString);
        Assert.Null(browser.SessionCookie);

        browser.Cookies[DashboardSessions.CookieName] = stolenCookie;
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetPageAsync("/dashboard/")).StatusCode);
        Assert.Contains(await server.AuditEntriesAsync(), entry => entry.Type == "dashboard.session.ended");
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/dashboard/")]
    [InlineData("/dashboard//evil.example")]
    [InlineData("/dashboard/\\evil.example")]
    [InlineData("/api/v1/tokens")]
    [InlineData("")]
    public async Task Sign_in_never_redirects_outside_the_dashboard(string next)
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        var response = await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor), next);
        Assert.Equal("/dashboard/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Registry_values_are_encoded_on_every_page()
    {
        await using var server = await TestServer.StartAsync();
        await using (var work = await server.Store.BeginAsync())
        {
            await work.Devices.InsertAsync(new Device("evil-1", "<script>alert(1)</script>", "\"><img src=x>", ["<b>tag</b>"],
                DeviceLifecycleState.Active, TestServer.Start, TestServer.Start, TestServer.Start));
            await work.CommitAsync();
        }
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor));
        foreach (var path in new[] { "/dashboard/", "/dashboard/devices", "/dashboard/devices/evil-1" })
        {
            var body = await (await browser.GetPageAsync(path)).Content.ReadAsStringAsync();
            Assert.DoesNotContain("<script", body);
            Assert.DoesNotContain("<img", body);
            Assert.DoesNotContain("<b>", body);
            Assert.Contains("&lt;script&gt;", body);
        }
    }

    [Fact]
    public async Task Bad_filters_and_unknown_devices_are_html_error_pages()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor));
        var bad = await browser.GetPageAsync("/dashboard/devices?state=lost");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("state must be pending, active, quarantined or decommissioned", await bad.Content.ReadAsStringAsync());
        var missing = await browser.GetPageAsync("/dashboard/devices/no-such-device");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_stylesheet_is_served_from_the_assembly_without_a_token()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.OperatorClient().GetAsync("/dashboard/assets/dashboard.css");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(".topbar", await response.Content.ReadAsStringAsync());
    }

    private static void AssertHardened(HttpResponseMessage response)
    {
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(response.Headers.CacheControl?.NoStore, "pages are not cached");
    }
}
