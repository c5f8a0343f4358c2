using System.Net;
using System.Text.RegularExpressions;
using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard.Sessions;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class TokensPageTests
{
    [Fact]
    public async Task Only_admins_see_and_open_the_tokens_page()
    {
        await using var server = await TestServer.StartAsync();
        using var admin = new DashboardClient(server);
        await admin.SignInAsync(server.TokenFor(OperatorRole.Admin));
        var adminPage = await (await admin.GetPageAsync("/dashboard/")).Content.ReadAsStringAsync();
        Assert.Contains("href=\"/dashboard/tokens\"", adminPage);

        using var operatorBrowser = new DashboardClient(server);
        await operatorBrowser.SignInAsync(server.TokenFor(OperatorRole.ReleaseManager));
        var operatorPage = await (await operatorBrowser.GetPageAsync("/dashboard/")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("/dashboard/tokens", operatorPage);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorBrowser.GetPageAsync("/dashboard/tokens")).StatusCode);
    }

    [Fact]
    public async Task An_admin_revokes_a_token_from_the_page_and_the_revocation_is_audited()
    {
        await using var server = await TestServer.StartAsync();
        var victim = await new ApiTokenIssuer(server.Store, server.Clock).IssueAsync("laptop <old>", OperatorRole.Operator, null, "test", default);
        using var admin = new DashboardClient(server);
        await admin.SignInAsync(server.TokenFor(OperatorRole.Admin));
        var page = await (await admin.GetPageAsync("/dashboard/tokens")).Content.ReadAsStringAsync();
        Assert.Contains("laptop &lt;old&gt;", page);
        Assert.Contains("the token of this session", page);
        var action = $"/dashboard/tokens/{victim.Token.Id}/revoke";
        Assert.Matches("action=\"" + Regex.Escape(action) + "\"", page);

        var response = await admin.PostFormAsync(action,
            [new(DashboardSessions.AntiForgeryField, DashboardClient.HiddenField(page, DashboardSessions.AntiForgeryField))]);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/dashboard/tokens", response.Headers.Location!.OriginalString);

        await using (var read = await server.Store.ReadAsync())
        {
            Assert.NotNull((await read.Tokens.GetAsync(victim.Token.Id))!.RevokedAt);
        }
        var adminId = server.TokenFor(OperatorRole.Admin).Split('_')[1];
        Assert.Contains(await server.AuditEntriesAsync(), e => e.Type == "token.revoked" && e.Actor == "token:" + adminId && e.Subject == "token:" + victim.Token.Id);
        var after = await (await admin.GetPageAsync("/dashboard/tokens")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(action, after);
    }

    [Fact]
    public async Task Revoking_an_unknown_token_is_a_404_page()
    {
        await using var server = await TestServer.StartAsync();
        using var admin = new DashboardClient(server);
        await admin.SignInAsync(server.TokenFor(OperatorRole.Admin));
        var page = await (await admin.GetPageAsync("/dashboard/tokens")).Content.ReadAsStringAsync();
        var response = await admin.PostFormAsync("/dashboard/tokens/0000000000000000/revoke",
            [new(DashboardSessions.AntiForgeryField, DashboardClient.HiddenField(page, DashboardSessions.AntiForgeryField))]);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }
}
