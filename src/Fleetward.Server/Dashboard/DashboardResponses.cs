using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard;

/// <summary>How every dashboard response leaves the server: HTML with the browser hardening headers.</summary>
public static class DashboardResponses
{
    /// <summary>
    /// No script at all, styles only from this origin (no inline style), forms post only here, never
    /// framed (clickjacking), no base-tag tricks.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void ApplySecurityHeaders(HttpResponse response, bool cacheable = false)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = cacheable ? "private, max-age=300" : "no-store";
    }

    public static async Task WriteHtmlAsync(HttpContext context, int status, string html)
    {
        ApplySecurityHeaders(context.Response);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(html, context.RequestAborted);
    }

    public static IResult Html(HttpContext context, int status, string html)
    {
        ApplySecurityHeaders(context.Response);
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>303 See Other: after a POST the browser follows with a GET (RFC 9110 15.4.4).</summary>
    public static IResult SeeOther(HttpContext context, string location)
    {
        ApplySecurityHeaders(context.Response);
        context.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    /// <summary>A problem (bad filter, unknown device) as a page instead of problem+json.</summary>
    public static DashboardView ErrorView(Problem problem) => new(problem.Type.Title, html =>
    {
        using (html.Open("section", ("class", "card error-card")))
        {
            html.Element("p", problem.Type.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), ("class", "error-status"));
            html.Element("h1", problem.Type.Title);
            html.Element("p", problem.Detail);
            html.Element("a", "Back to the overview", ("href", DashboardEndpoints.BasePath + "/"), ("class", "button button-quiet"));
        }
    });
}

/// <summary>The sign-in page: paste an API token; nothing else on it.</summary>
public static class DashboardLoginPage
{
    public static string Render(string antiForgery, string next, string? error)
    {
        var html = new HtmlWriter();
        html.Doctype();
        using (html.Open("html", ("lang", "en")))
        {
            using (html.Open("head"))
            {
                html.Void("meta", ("charset", "utf-8"));
                html.Void("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"));
                html.Void("meta", ("name", "referrer"), ("content", "no-referrer"));
                html.Element("title", "Sign in · Fleetward");
                html.Void("link", ("rel", "stylesheet"), ("href", DashboardLayout.StylesheetPath));
            }
            using (html.Open("body", ("class", "login-body")))
            using (html.Open("main", ("class", "login")))
            {
                using (html.Open("div", ("class", "login-brand")))
                {
                    html.Element("span", "◆", ("class", "brand-mark"), ("aria-hidden", "true"));
                    html.Text("Fleetward");
                }
                using (html.Open("form", ("class", "card login-card"), ("method", "post"), ("action", DashboardEndpoints.LoginPath)))
                {
                    html.Element("h1", "Sign in");
                    html.Element("p", "Paste an operator API token (auditor role or above). Create one with 'fleetward token create'.", ("class", "muted"));
                    if (error is not null)
                    {
                        html.Element("p", error, ("class", "alert"), ("role", "alert"));
                    }
                    using (html.Open("label", ("for", "token")))
                    {
                        html.Text("API token");
                    }
                    html.Void("input", ("id", "token"), ("name", "token"), ("type", "password"), ("autocomplete", "off"), ("spellcheck", "false"),
                        ("required", "required"), ("placeholder", "fw_…"), ("autofocus", "autofocus"));
                    html.Void("input", ("type", "hidden"), ("name", Sessions.DashboardSessions.AntiForgeryField), ("value", antiForgery));
                    html.Void("input", ("type", "hidden"), ("name", "next"), ("value", next));
                    html.Element("button", "Sign in", ("type", "submit"), ("class", "button button-wide"));
                    html.Element("p", "The session lasts at most one hour and ends when the token is revoked or expires.", ("class", "fine-print"));
                }
            }
        }
        return html.ToString();
    }
}

/// <summary>The dashboard's one stylesheet, embedded in the assembly so nothing is fetched from elsewhere at run time.</summary>
public static class DashboardStylesheet
{
    public static string Text { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(DashboardStylesheet).Assembly.GetManifestResourceStream("Fleetward.Server.Dashboard.dashboard.css")
            ?? throw new InvalidOperationException("The dashboard stylesheet is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
