using Fleetward.Core.Access;
using Fleetward.Core.Detection;
using Fleetward.Server.Access;
using Fleetward.Server.Geofences;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The operator API of geofences: PUT/GET/DELETE /api/v1/geofences/models/{model} and /api/v1/geofences/devices/{id},
/// and GET /api/v1/geofences for every set. Operators change them, auditors read them.
/// </summary>
public sealed class GeofenceEndpoints : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options) => services.AddSingleton<GeofenceService>();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var geofences = routes.OperatorApi.MapGroup("/geofences");
        geofences.MapGet("/", async (HttpContext context, GeofenceService service) =>
            Results.Json(await service.ListAsync(context.RequestAborted), JsonBody.Options)).RequireRole(OperatorRole.Auditor);
        foreach (var (segment, scope) in new[] { ("models", GeofenceScope.Model), ("devices", GeofenceScope.Device) })
        {
            geofences.MapPut($"/{segment}/{{subject}}", async (string subject, HttpContext context, GeofenceService service) =>
            {
                var request = await JsonBody.ReadAsync<GeofenceSetRequest>(context.Request);
                return Results.Json(await service.SetAsync(scope, subject, request, OperatorIdentity.Of(context).Actor, context.RequestAborted), JsonBody.Options);
            }).RequireRole(OperatorRole.Operator);
            geofences.MapGet($"/{segment}/{{subject}}", async (string subject, HttpContext context, GeofenceService service) =>
                Results.Json(await service.GetAsync(scope, subject, context.RequestAborted), JsonBody.Options)).RequireRole(OperatorRole.Auditor);
            geofences.MapDelete($"/{segment}/{{subject}}", async (string subject, HttpContext context, GeofenceService service) =>
            {
                await service.RemoveAsync(scope, subject, OperatorIdentity.Of(context).Actor, context.RequestAborted);
                return Results.NoContent();
            }).RequireRole(OperatorRole.Operator);
        }
    }
}
