using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// POST /device/v1/check-in on the device listener. Quarantined devices may call it: they still report their state
/// and receive rollback orders, while the zero-trust gate withholds new installs from them.
/// </summary>
public sealed class CheckInEndpoints : IServerModule
{
    public void MapEndpoints(FleetwardRoutes routes)
    {
        routes.Device.MapPost("/device/v1/check-in", CheckInAsync)
            .RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
    }

    private static async Task<IResult> CheckInAsync(HttpContext context, CheckInService service, Identity.IDeviceRevocationLookup revocation)
    {
        var device = context.GetAuthenticatedDevice();
        var report = await JsonBody.ReadAsync<CheckInReport>(context.Request);
        var answer = await service.CheckInAsync(device.Device, await DeviceCredentials.FromAsync(device, revocation, context.RequestAborted), report, context.RequestAborted);
        return Results.Json(answer, JsonBody.Options);
    }
}
