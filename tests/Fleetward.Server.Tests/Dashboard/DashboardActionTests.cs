using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Fleetward.Core.Access;
using Fleetward.Server.Dashboard;
using Fleetward.Server.Dashboard.Sessions;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>Form posts (actions) get their role and anti-forgery checks from the dashboard, not from each action.</summary>
public sealed class DashboardActionTests
{
    private sealed class CountingAction : IDashboardAction
    {
        public int Calls;

        public string Route => "/devices/{id}/poke";

        public OperatorRole Role => OperatorRole.Operator;

        public Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult("/dashboard/devices/" + request.RouteValue("id"));
        }
    }

    private static async Task<(TestServer Server, CountingAction Action)> StartAsync()
    {
        var action = new CountingAction();
        var server = await TestServer.StartAsync(services: services => services.AddSingleton<IDashboardAction>(action));
        return (server, action);
    }

    [Fact]
    public async Task A_session_post_without_the_anti_forgery_token_is_refused_before_the_action_runs()
    {
        var (server, action) = await StartAsync();
        await using var _ = server;
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Operator));
        var refused = await browser.PostFormAsync("/dashboard/devices/robot-1/poke", [new(DashboardSessions.AntiForgeryField, "guess")]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var missing = await browser.PostFormAsync("/dashboard/devices/robot-1/poke", []);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(0, action.Calls);

        var page = await (await browser.GetPageAsync("/dashboard/")).Content.ReadAsStringAsync();
        var accepted = await browser.PostFormAsync("/dashboard/devices/robot-1/poke",
            [new(DashboardSessions.AntiForgeryField, DashboardClient.HiddenField(page, DashboardSessions.AntiForgeryField))]);
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        Assert.Equal("/dashboard/devices/robot-1", accepted.Headers.Location!.OriginalString);
        Assert.Equal(1, action.Calls);
    }

    [Fact]
    public async Task A_bearer_post_needs_no_anti_forgery_token_because_browsers_never_send_the_header_on_their_own()
    {
        var (server, action) = await StartAsync();
        await using var _ = server;
        using var browser = new DashboardClient(server);
        var request = new HttpRequestMessage(HttpMethod.Post, "/dashboard/devices/robot-1/poke") { Content = new FormUrlEncodedContent([]) };
        request.Headers.Authorization = new("Bearer", server.TokenFor(OperatorRole.Operator));
        var response = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(1, action.Calls);
    }

    [Fact]
    public async Task A_session_whose_role_is_too_low_is_forbidden()
    {
        var (server, action) = await StartAsync();
        await using var _ = server;
        using var browser = new DashboardClient(server);
        await browser.SignInAsync(server.TokenFor(OperatorRole.Auditor));
        var page = await (await browser.GetPageAsync("/dashboard/")).Content.ReadAsStringAsync();
        var response = await browser.PostFormAsync("/dashboard/devices/robot-1/poke",
            [new(DashboardSessions.AntiForgeryField, DashboardClient.HiddenField(page, DashboardSessions.AntiForgeryField))]);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, action.Calls);
    }
}
