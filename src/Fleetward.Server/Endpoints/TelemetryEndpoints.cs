using Fleetward.Core.Access;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Access;
using Fleetward.Server.Detection;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// Telemetry ingest on the device listener (a quarantined device keeps reporting, so the incident can be watched)
/// and the telemetry a device sent, for operators.
/// </summary>
public sealed class TelemetryEndpoints : IServerModule
{
    /// <summary>A problem type of its own so agents can back off on it (RFC 6585 section 4, with Retry-After).</summary>
    public static readonly ProblemType RateLimited = new("rate-limited", 429, "The device sends telemetry too often");

    public void ConfigureServices(IServiceCollection services, ServerOptions options) => services.AddDetection();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        routes.Device.MapPost("/device/v1/telemetry", IngestAsync).RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        routes.OperatorApi.MapGet("/devices/{id}/telemetry", GetAsync).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> IngestAsync(HttpContext context, TelemetryIngestService ingest, DetectionMetrics metrics)
    {
        var device = context.GetAuthenticatedDevice().Device;
        var body = await ReadBoundedAsync(context.Request, TelemetryLimits.MaxBatchBytes, metrics);
        var result = await ingest.IngestAsync(device, body, context.RequestAborted);
        if (result.RetryAfter is { } retry)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Max(1, Math.Ceiling(retry.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ProblemException(new Problem(RateLimited, $"Wait {retry.TotalSeconds:0} s before sending the next batch."));
        }
        if (result.Error is { } error)
        {
            throw ProblemException.Validation(error.Field, $"{error.Field} {error.Message}");
        }
        return Results.Json(new IngestReceipt(result.Scored, result.Stale), JsonBody.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Refuses a body over the limit from its Content-Length, or after reading one byte past it, without buffering more.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpRequest request, int limit, DetectionMetrics metrics)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            metrics.Rejected("Content-Type");
            throw new ProblemException(new Problem(ProblemType.UnsupportedMediaType, $"Content-Type must be application/json, got '{request.ContentType ?? "(none)"}'.", "Content-Type"));
        }
        if (request.ContentLength > limit)
        {
            metrics.Rejected("$");
            throw ProblemException.Validation("$", $"The batch is larger than {limit} bytes.");
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                metrics.Rejected("$");
                throw ProblemException.Validation("$", $"The batch is larger than {limit} bytes.");
            }
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        if (await read.Devices.GetAsync(id, context.RequestAborted) is null) throw ProblemException.NotFound($"No device with id '{id}'.");
        var latest = await read.Telemetry.GetLatestAsync(id, context.RequestAborted);
        var recent = await read.Telemetry.ListRecentAsync(id, ITelemetryRepository.MaxHistoryPerDevice, context.RequestAborted);
        return Results.Json(new TelemetryView(id, latest?.ReceivedAt, latest?.Report, recent), JsonBody.Options);
    }

    /// <summary>A device's latest report and its recent history (oldest first) for sparklines.</summary>
    public sealed record TelemetryView(string DeviceId, DateTimeOffset? ReceivedAt, TelemetryReport? Latest, IReadOnlyList<TelemetryPoint> Recent);
}
