using Fleetward.Server.Options;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Hosting;

/// <summary>
/// One area of the control plane (tokens, devices, EST, TUF, rollouts, audit, dashboard...). The
/// composition root lists the modules; each registers its services and maps its endpoints into the
/// route groups of the listener it belongs to, so areas grow without touching each other.
/// </summary>
public interface IServerModule
{
    void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
    }

    void MapEndpoints(FleetwardRoutes routes);
}

/// <summary>
/// The route groups a module maps into. Every endpoint in <see cref="OperatorApi"/> and
/// <see cref="Operator"/> must declare its access with <c>RequireRole</c> or <c>AllowWithoutToken</c>
/// (the server refuses to build otherwise). Every endpoint in <see cref="Device"/> must declare
/// <c>RequireDevice</c> (mutual TLS with a certificate accepted by <see cref="Devices.IDeviceCertificateValidator"/>)
/// or <c>AllowWithoutDeviceCertificate</c> (see <see cref="Devices.DeviceAccessConventions"/>).
/// </summary>
public sealed class FleetwardRoutes(RouteGroupBuilder @operator, RouteGroupBuilder operatorApi, RouteGroupBuilder device)
{
    /// <summary>The root of the operator listener (operations endpoints, the dashboard).</summary>
    public RouteGroupBuilder Operator { get; } = @operator;

    /// <summary><c>/api/v1</c> on the operator listener.</summary>
    public RouteGroupBuilder OperatorApi { get; } = operatorApi;

    /// <summary>The root of the device listener (EST, TUF, device reports).</summary>
    public RouteGroupBuilder Device { get; } = device;
}
