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
