using System.Diagnostics;
using Fleetward.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fleetward.Server.Metrics;

/// <summary>
/// Counts and times every request. The route label is the matched route template, never the raw
/// path, so label cardinality stays bounded whatever clients send.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var listener = ListenerFeature.Of(context) switch
            {
                FleetwardListener.Operator => "operator",
                FleetwardListener.Device => "device",
                _ => "unknown",
            };
            metrics.RequestHandled(listener, context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }
}
