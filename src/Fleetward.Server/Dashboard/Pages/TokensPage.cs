using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>Operator API tokens (admin only, like /api/v1/tokens): who holds which role, until when, last used, and revocation.</summary>
public sealed class TokensPage(IFleetStore store) : IDashboardPage
{
    public const string Path = DashboardEndpoints.BasePath + "/tokens";

    public string Route => "/tokens";

    public OperatorRole Role => OperatorRole.Admin;

    public DashboardNavigation Navigation { get; } = new("API tokens", 80);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        IReadOnlyList<ApiToken> tokens;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            tokens = await read.Tokens.ListAsync(request.Aborted);
        }
        return new DashboardView("API tokens", html => Render(html, request, tokens));
    }

    /// <summary>Active, expired or revoked at <paramref name="now"/>.</summary>
    public static string Status(ApiToken token, DateTimeOffset now) =>
        token.RevokedAt is { } revoked && revoked <= now ? "revoked"
        : token.ExpiresAt is { } expires && expires <= now ? "expired"
        : "active";

    private static void Render(HtmlWriter html, DashboardRequest request, IReadOnlyList<ApiToken> tokens)
    {
        DashboardLayout.Heading(html, "API tokens", "Create tokens with 'fleetward token create'; secrets are shown once and stored only as hashes.");
        using (html.Open("section", ("class", "card card-flush")))
        using (html.Open("div", ("class", "table-scroll")))
        using (html.Open("table", ("class", "table")))
        {
            using (html.Open("thead"))
            using (html.Open("tr"))
            {
                foreach (var heading in new[] { "Name", "Id", "Role", "Status", "Created", "Expires", "Last used", "" })
                {
                    html.Element("th", heading, ("scope", "col"));
                }
            }
            using (html.Open("tbody"))
            {
                foreach (var token in tokens.OrderBy(t => Status(t, request.Now) != "active").ThenByDescending(t => t.CreatedAt))
                {
                    var status = Status(token, request.Now);
                    using (html.Open("tr"))
                    {
                        html.Element("td", token.Name, ("data-label", "Name"));
                        using (html.Open("td", ("data-label", "Id")))
                        {
                            html.Element("span", token.Id, ("class", "mono"));
                            if (token.Id == request.Identity.TokenId)
                            {
                                html.Element("span", "you", ("class", "badge badge-you"), ("title", "the token of this session"));
                            }
                        }
                        html.Element("td", token.Role.ToName(), ("data-label", "Role"));
                        using (html.Open("td", ("data-label", "Status")))
                        {
                            html.Element("span", status, ("class", "badge token-" + status));
                        }
                        using (html.Open("td", ("data-label", "Created")))
                        {
                            DashboardLayout.CompactInstant(html, token.CreatedAt, request.Now);
                        }
                        using (html.Open("td", ("data-label", "Expires")))
                        {
                            if (token.ExpiresAt is null)
                            {
                                html.Element("span", "no expiry", ("class", "muted"));
                            }
                            else
                            {
                                DashboardLayout.CompactInstant(html, token.ExpiresAt, request.Now);
                            }
                        }
                        using (html.Open("td", ("data-label", "Last used")))
                        {
                            DashboardLayout.CompactInstant(html, token.LastUsedAt, request.Now);
                        }
                        using (html.Open("td", ("class", "actions")))
                        {
                            if (status == "active")
                            {
                                // A disclosure instead of a script confirm(): the first click only reveals the real button.
                                using (html.Open("details", ("class", "confirm")))
                                {
                                    html.Element("summary", "Revoke…", ("class", "button button-quiet button-small"));
                                    DashboardLayout.ActionForm(html, request, "/tokens/" + Uri.EscapeDataString(token.Id) + "/revoke",
                                        "Revoke " + token.Name, "confirm-form");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// <summary>Revokes a token from the tokens page, audited with the signed-in admin as actor, as DELETE /api/v1/tokens/{id} does.</summary>
public sealed class RevokeTokenAction(IFleetStore store, TimeProvider time) : IDashboardAction
{
    public string Route => "/tokens/{id}/revoke";

    public OperatorRole Role => OperatorRole.Admin;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The token id is missing.");
        _ = await new ApiTokenIssuer(store, time).RevokeAsync(id, request.Identity.Actor, request.Aborted)
            ?? throw ProblemException.NotFound($"No token with id '{id}'.");
        return TokensPage.Path;
    }
}
