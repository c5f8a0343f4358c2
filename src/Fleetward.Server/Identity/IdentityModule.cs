using Fleetward.Server.Devices;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleetward.Server.Identity;

/// <summary>
/// The device identity area: EST and the CRL on the device listener, groups, tokens and lifecycle on the operator
/// API, and the services behind them. Built into every server; without a configured CA (see
/// <see cref="DeviceCertificateAuthorityModule"/>) the EST routes answer 503 and the device listener admits no certificate.
/// </summary>
public sealed class IdentityModule : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options) => services.AddDeviceIdentity();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        EstEndpoints.Map(routes.Device);
        EnrollmentEndpoints.Map(routes.OperatorApi);
        DeviceLifecycleEndpoints.Map(routes.OperatorApi);
    }
}

/// <summary>The identity services other areas depend on (lifecycle changes, revocation), for hosts that wire areas themselves.</summary>
public static class DeviceIdentityServices
{
    public static IServiceCollection AddDeviceIdentity(this IServiceCollection services)
    {
        services.TryAddSingleton<RevocationRegistry>();
        services.TryAddSingleton<IDeviceRevocationLookup>(provider => provider.GetRequiredService<RevocationRegistry>());
        services.TryAddSingleton<DeviceStateCache>();
        services.TryAddSingleton<FactoryTrustCache>();
        services.TryAddSingleton<CrlPublisher>();
        services.TryAddSingleton<DeviceLifecycleService>();
        services.TryAddSingleton<EnrollmentGroupService>();
        services.TryAddSingleton<EstEnrollmentService>();
        return services;
    }
}

/// <summary>Installs a loaded device CA: the services find it, and the device listener's handshake validates against it.</summary>
public sealed class DeviceCertificateAuthorityModule(FleetCertificateAuthority authority) : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(authority);
        services.AddSingleton<IDeviceCertificateValidator, DeviceHandshakeValidator>();
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
    }
}
