using Fleetward.Core.Access;
using Fleetward.Core.Receipts;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Fleetward.Server.Receipts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The security receipts for auditors: GET /api/v1/receipts (the figures as JSON) and GET /api/v1/receipts/signed
/// (the same document, canonical, in a DSSE envelope signed with the audit-log key), the dashboard page, and the
/// device-connection counting behind the authenticated-connection figure. Both routes take <c>days</c> (1-366,
/// default 30): the window of the rate figures.
/// </summary>
public sealed class ReceiptEndpoints : IServerModule
{
    /// <summary>How often the device connection counts are written to the store.</summary>
    public static readonly TimeSpan TallyFlushInterval = TimeSpan.FromSeconds(10);

    public const int DefaultWindowDays = 30;

    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton<DeviceConnectionTally>();
        services.AddSingleton<DeviceHandshakeRefusalListener>();
        services.AddSingleton(provider => new DeviceConnectionTallyWriter(
            provider.GetRequiredService<Core.Ports.IFleetStore>(), provider.GetRequiredService<DeviceConnectionTally>(),
            provider.GetRequiredService<DeviceHandshakeRefusalListener>(), TallyFlushInterval, provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<DeviceConnectionTallyWriter>>()));
        services.AddHostedService(provider => provider.GetRequiredService<DeviceConnectionTallyWriter>());
        services.AddSingleton<IStartupFilter, DeviceConnectionTallyStartupFilter>();
        services.AddSingleton<SecurityReceiptsService>();
        services.AddDashboardPage<ReceiptsPage>();
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var receipts = routes.OperatorApi.MapGroup("/receipts");
        receipts.MapGet("", ReceiptsAsync).RequireRole(OperatorRole.Auditor);
        receipts.MapGet("/signed", SignedAsync).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> ReceiptsAsync(HttpContext context, SecurityReceiptsService service)
    {
        var receipts = await service.ComputeAsync(Window(context.Request.Query), context.RequestAborted);
        return Results.Json(SecurityReceiptsJson.ToJson(receipts), JsonBody.Options);
    }

    private static async Task<IResult> SignedAsync(HttpContext context, SecurityReceiptsService service)
    {
        try
        {
            var envelope = await service.SignAsync(Window(context.Request.Query), context.RequestAborted);
            return Results.Text(envelope.ToJson(), "application/json");
        }
        catch (ReceiptSigningUnavailableException exception)
        {
            throw new ProblemException(new Problem(ProblemType.Unavailable, exception.Message), exception);
        }
    }

    /// <summary>The <c>days</c> query parameter as the window; anything else in the query is refused naming it.</summary>
    public static TimeSpan Window(IQueryCollection query)
    {
        AuditEndpoints.AuditQuery.Only(query, "days");
        var days = AuditEndpoints.AuditQuery.Long(query, "days", required: false) ?? DefaultWindowDays;
        if (days < 1 || days > SecurityReceiptsService.MaxWindow.TotalDays)
        {
            throw ProblemException.Validation("days", $"days must be between 1 and {SecurityReceiptsService.MaxWindow.TotalDays}; got {days}.");
        }
        return TimeSpan.FromDays(days);
    }
}
