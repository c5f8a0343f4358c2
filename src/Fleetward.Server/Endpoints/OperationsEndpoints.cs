using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Fleetward.Server.Metrics;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// Liveness, readiness and metrics on the operator listener. /healthz and /readyz answer without a
/// token because orchestrators probe them and they reveal nothing beyond "up" and "store reachable".
/// /metrics requires an auditor token: it reveals fleet size, request mix and refusal counts, which
/// is reconnaissance material, and Prometheus sends bearer tokens natively (authorization.credentials_file).
/// </summary>
public sealed class OperationsEndpoints : IServerModule
{
    public void MapEndpoints(FleetwardRoutes routes)
    {
        routes.Operator.MapGet("/healthz", () => Results.Json(new HealthStatus("ok"), JsonBody.Options))
            .AllowWithoutToken("liveness probe; says only that the process answers");
        routes.Operator.MapGet("/readyz", ReadyAsync)
            .AllowWithoutToken("readiness probe; says only whether the store is reachable");
        routes.Operator.MapGet("/metrics", (PrometheusExporter exporter) => Results.Text(exporter.Scrape(), PrometheusText.ContentType))
            .RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, IFleetStore store, ServerOptions options, ILogger<OperationsEndpoints> logger)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.ReadinessTimeout);
        try
        {
            await using var read = await store.ReadAsync(timeout.Token);
            await read.Devices.ListAsync(new DeviceQuery(Limit: 1), timeout.Token);
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Readiness check failed: the {Engine} store is not reachable", store.Engine);
            throw new ProblemException(new Problem(ProblemType.Unavailable, $"The {store.Engine} store is not reachable."));
        }
        return Results.Json(new ReadinessStatus("ready", store.Engine), JsonBody.Options);
    }

    public sealed record HealthStatus(string Status);

    public sealed record ReadinessStatus(string Status, string Store);
}
