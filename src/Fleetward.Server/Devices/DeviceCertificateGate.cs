using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Devices;

/// <summary>
/// When the device listener admits clients without a certificate (because some route is declared
/// <see cref="DeviceAccessConventions.AllowWithoutDeviceCertificate"/>), this keeps every other device
/// route closed to them: a route declared with <see cref="DeviceAccessConventions.RequireDevice"/> needs a
/// client certificate that <see cref="IDeviceCertificateValidator"/> accepted during the handshake.
/// The device's lifecycle state is checked after this by the device authentication of the identity area.
/// </summary>
public sealed class DeviceCertificateGate(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<ListenerMetadata>()?.Listener == FleetwardListener.Device
            && endpoint.Metadata.GetMetadata<AnonymousDeviceEndpointMetadata>() is null
            && context.Connection.ClientCertificate is null)
        {
            await ProblemWriter.WriteAsync(context, new Problem(ProblemType.Unauthenticated,
                "This route requires a device certificate (mutual TLS)."));
            return;
        }
        await next(context);
    }
}
