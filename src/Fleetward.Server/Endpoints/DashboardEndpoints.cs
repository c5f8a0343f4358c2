using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Dashboard.Sessions;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The web dashboard on the operator listener: server-rendered pages under /dashboard, signed in
/// with an API token that becomes a short session cookie. Pages come from every registered
/// <see cref="IDashboardPage"/>, each mapped with its role like any operator route.
/// </summary>
public sealed class DashboardEndpoints : IServerModule
{
    public const string BasePath = "/dashboard";
    public const string LoginPath = BasePath + "/login";

    /// <summary>The role a token needs to sign in: every page reads the fleet, so provisioner tokens are refused.</summary>
    public const OperatorRole SignInRole = OperatorRole.Auditor;

    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(provider => new DashboardSessions(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IOperatorSessionReader>(provider => provider.GetRequiredService<DashboardSessions>());
        services.AddDashboardPage<FleetOverviewPage>();
        services.AddDashboardPage<DeviceListPage>();
        services.AddDashboardPage<DeviceDetailPage>();
        services.AddDeviceDetailSection<DeviceIdentitySection>();
        services.AddDashboardPage<TokensPage>();
        services.AddDashboardAction<SignOutAction>();
        services.AddDashboardAction<RevokeTokenAction>();
        services.AddOperationsDashboard();
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var dashboard = routes.Operator.MapGroup(BasePath).WithMetadata(new BrowserSessionMetadata(LoginPath));
        dashboard.MapGet("/assets/dashboard.css", Stylesheet)
            .AllowWithoutToken("the dashboard stylesheet, compiled into the server; the login page needs it and it holds no data");
        dashboard.MapGet("/login", ShowLogin)
            .AllowWithoutToken("the sign-in form; it shows nothing but the form");
        dashboard.MapPost("/login", SignInAsync)
            .AllowWithoutToken("signs in: the pasted API token is checked here exactly as a bearer token would be");

        var services = ((IEndpointRouteBuilder)routes.Operator).ServiceProvider;
        var pages = services.GetServices<IDashboardPage>().ToList();
        var actions = services.GetServices<IDashboardAction>().ToList();
        EnsureUniqueRoutes("pages", pages.Select(page => (page.Route, page.GetType().Name)));
        EnsureUniqueRoutes("actions", actions.Select(action => (action.Route, action.GetType().Name)));
        foreach (var page in pages)
        {
            dashboard.MapGet(page.Route, (HttpContext context) => RenderPageAsync(context, page, pages))
                .RequireRole(page.Role)
                .WithDisplayName("Dashboard page " + BasePath + page.Route);
        }
        foreach (var action in actions)
        {
            dashboard.MapPost(action.Route, (Func<HttpContext, Task<IResult>>)(context => RunActionAsync(context, action)))
                .RequireRole(action.Role)
                .WithDisplayName("Dashboard action " + BasePath + action.Route);
        }
    }

    private static void EnsureUniqueRoutes(string kind, IEnumerable<(string Route, string Type)> routes)
    {
        foreach (var duplicate in routes.GroupBy(route => route.Route, StringComparer.OrdinalIgnoreCase).Where(group => group.Count() > 1))
        {
            throw new InvalidOperationException($"Dashboard {kind} {string.Join(", ", duplicate.Select(d => d.Type))} share the route '{duplicate.Key}'.");
        }
    }

    /// <summary>The page or action request, with the session when the caller signed in with the cookie (no Authorization header).</summary>
    private static DashboardRequest RequestFor(HttpContext context)
    {
        var services = context.RequestServices;
        var sessions = services.GetRequiredService<DashboardSessions>();
        var session = context.Request.Headers.Authorization.Count == 0 ? sessions.Read(context.Request) : null;
        return new DashboardRequest(context, OperatorIdentity.Of(context), services.GetRequiredService<TimeProvider>().GetUtcNow(),
            session, session is null ? null : sessions.AntiForgeryToken(session));
    }

    private static async Task<IResult> RunActionAsync(HttpContext context, IDashboardAction action)
    {
        var request = RequestFor(context);
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : FormCollection.Empty;
        // A cookie is an ambient credential, so a session-authenticated post must prove it came from our own form.
        // A bearer header is not sent by browsers on their own, so header-authenticated posts need no token.
        if (request.Session is { } session
            && !context.RequestServices.GetRequiredService<DashboardSessions>().IsValidAntiForgeryToken(session, form[DashboardSessions.AntiForgeryField]))
        {
            var refused = DashboardResponses.ErrorView(new Problem(ProblemType.Validation,
                "The form did not carry this session's anti-forgery token; reload the page and try again.", DashboardSessions.AntiForgeryField));
            return DashboardResponses.Html(context, StatusCodes.Status400BadRequest, DashboardLayout.Page(refused.Title, [], null, null, refused.Body));
        }
        string next;
        try
        {
            next = await action.HandleAsync(request, form);
        }
        catch (ProblemException problem)
        {
            var view = DashboardResponses.ErrorView(problem.Problem);
            var pages = context.RequestServices.GetServices<IDashboardPage>();
            return DashboardResponses.Html(context, problem.Problem.Type.Status, DashboardLayout.Page(view.Title,
                Navigation(pages, request.Identity.Role, ""), DashboardLayout.SignedInAs(request.Identity.TokenName, request.Identity.Role),
                request.AntiForgeryToken, view.Body));
        }
        if (next != BasePath && !next.StartsWith(BasePath + "/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Dashboard action {action.GetType().Name} returned '{next}', which is not a dashboard path.");
        }
        return DashboardResponses.SeeOther(context, next);
    }

    private static IResult Stylesheet(HttpContext context)
    {
        DashboardResponses.ApplySecurityHeaders(context.Response, cacheable: true);
        return Results.Text(DashboardStylesheet.Text, "text/css; charset=utf-8");
    }

    private static async Task RenderPageAsync(HttpContext context, IDashboardPage page, IReadOnlyList<IDashboardPage> pages)
    {
        var request = RequestFor(context);
        var identity = request.Identity;
        var status = StatusCodes.Status200OK;
        DashboardView view;
        try
        {
            view = await page.LoadAsync(request);
        }
        catch (ProblemException problem)
        {
            status = problem.Problem.Type.Status;
            view = DashboardResponses.ErrorView(problem.Problem);
        }
        var navigation = Navigation(pages, identity.Role, context.Request.Path.Value ?? "");
        await DashboardResponses.WriteHtmlAsync(context, status,
            DashboardLayout.Page(view.Title, navigation, DashboardLayout.SignedInAs(identity.TokenName, identity.Role), request.AntiForgeryToken, view.Body));
    }

    /// <summary>Links to the pages in the navigation that this role may open; the longest matching prefix is current.</summary>
    public static IReadOnlyList<DashboardNavigationLink> Navigation(IEnumerable<IDashboardPage> pages, OperatorRole role, string requestPath)
    {
        var entries = pages
            .Where(page => page.Navigation is not null && role.Satisfies(page.Role))
            .OrderBy(page => page.Navigation!.Order)
            .Select(page => (page.Navigation!.Title, Href: BasePath + page.Route))
            .ToList();
        var current = entries
            .Where(entry => Matches(entry.Href, requestPath))
            .OrderByDescending(entry => entry.Href.Length)
            .Select(entry => entry.Href)
            .FirstOrDefault();
        return [.. entries.Select(entry => new DashboardNavigationLink(entry.Title, entry.Href, entry.Href == current))];

        static bool Matches(string href, string path)
        {
            var prefix = href.TrimEnd('/');
            return path.TrimEnd('/') == prefix || (href != BasePath + "/" && path.StartsWith(prefix + "/", StringComparison.Ordinal));
        }
    }

    private static IResult ShowLogin(HttpContext context) => LoginForm(context, StatusCodes.Status200OK, null);

    private static IResult LoginForm(HttpContext context, int status, string? error)
    {
        var antiForgery = DashboardSessions.NewLoginAntiForgeryValue();
        context.Response.Cookies.Append(DashboardSessions.LoginCookieName, antiForgery, DashboardSessions.CookieOptions(expires: null));
        var next = SafeReturnPath(context.Request.HasFormContentType ? context.Request.Form["next"].ToString() : context.Request.Query["next"].ToString());
        return DashboardResponses.Html(context, status, DashboardLoginPage.Render(antiForgery, next, error));
    }

    private static async Task<IResult> SignInAsync(HttpContext context, IFleetStore store, TimeProvider time, DashboardSessions sessions, ILogger<DashboardEndpoints> logger)
    {
        if (!context.Request.HasFormContentType)
        {
            throw new ProblemException(new Problem(ProblemType.UnsupportedMediaType, "Sign in with the form (application/x-www-form-urlencoded)."));
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!DashboardSessions.IsValidLoginAntiForgery(context.Request.Cookies[DashboardSessions.LoginCookieName], form[DashboardSessions.AntiForgeryField]))
        {
            return LoginForm(context, StatusCodes.Status400BadRequest, "The sign-in form expired or did not come from this page. Please try again.");
        }
        var presented = form["token"].ToString().Trim();
        if (!ApiTokenSecret.TryParse(presented, out var secret))
        {
            return LoginForm(context, StatusCodes.Status401Unauthorized, "That is not a Fleetward API token; it looks like fw_<id>_<secret>.");
        }
        var ct = context.RequestAborted;
        ApiToken? token;
        await using (var read = await store.ReadAsync(ct))
        {
            token = await read.Tokens.GetAsync(secret.Id, ct);
        }
        if (token is null || !secret.Matches(token.SecretHash))
        {
            logger.LogInformation("Dashboard sign-in refused: unknown token");
            return LoginForm(context, StatusCodes.Status401Unauthorized, "That API token is not known to this server.");
        }
        var now = time.GetUtcNow();
        var decision = OperatorAccessPolicy.Decide(token, SignInRole, now);
        if (!decision.Allowed)
        {
            logger.LogInformation("Dashboard sign-in refused: {Reason}", decision.Reason);
            return LoginForm(context, decision.Refusal!.Status, "Sign-in refused: " + decision.Reason + ".");
        }

        var (session, cookie) = sessions.Issue(token.Id, token.ExpiresAt);
        await using (var work = await store.BeginAsync(ct))
        {
            await work.Audit.AppendAsync(new AuditEvent("dashboard.session.started", now, "token:" + token.Id, "token:" + token.Id,
                JsonSerializer.Serialize(new { expiresAt = session.ExpiresAt })), ct);
            await work.CommitAsync(ct);
        }
        context.Response.Cookies.Append(DashboardSessions.CookieName, cookie, DashboardSessions.CookieOptions(session.ExpiresAt));
        context.Response.Cookies.Delete(DashboardSessions.LoginCookieName, DashboardSessions.CookieOptions(expires: null));
        return DashboardResponses.SeeOther(context, SafeReturnPath(form["next"].ToString()));
    }

    /// <summary>Where to go after sign-in: only a path inside the dashboard, so the form cannot be used as an open redirect.</summary>
    public static string SafeReturnPath(string? next)
    {
        if (string.IsNullOrEmpty(next)
            || !(next == BasePath || next.StartsWith(BasePath + "/", StringComparison.Ordinal) || next.StartsWith(BasePath + "?", StringComparison.Ordinal))
            || next.Contains('\\') || next.Contains("//", StringComparison.Ordinal) || next.Any(char.IsControl)
            || next.StartsWith(LoginPath, StringComparison.Ordinal))
        {
            return BasePath + "/";
        }
        return next;
    }
}
