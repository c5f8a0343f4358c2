using System.Reflection;
using Fleetward.Core.Incidents;
using Fleetward.Core.Siem;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Fleetward.Server.Detection;

/// <summary>
/// Registers the detection and response services once, whichever of the telemetry, incident and command modules
/// asks first. Options and the command key are only defaults: the control plane (or a test) registers its own.
/// </summary>
public static class DetectionServices
{
    public static IServiceCollection AddDetection(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(DetectionHost))) return services;
        services.TryAddSingleton(new DetectionServerOptions());
        // Without a data directory the key lives in memory only; ControlPlane registers the persistent one.
        services.TryAddSingleton(_ => ServerCommandKey.Ephemeral());
        services.AddSingleton(p => new DeviceCommandIssuer(p.GetRequiredService<ServerCommandKey>(), p.GetRequiredService<DetectionServerOptions>().CommandLifetime));
        services.AddSingleton(_ => new OcsfEventFactory(new OcsfProduct("Fleetward", "Fleetward",
            typeof(DetectionServices).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev")));
        services.AddSingleton(p => new IncidentResponder(p.GetRequiredService<DetectionServerOptions>().Response, p.GetRequiredService<OcsfEventFactory>()));
        services.AddSingleton(p => new TelemetryRateLimiter(p.GetRequiredService<DetectionServerOptions>().RateLimit, p.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SiemOutboxWriter>();
        services.AddSingleton<PlaybookExecutor>();
        services.AddSingleton<DetectionMetrics>();
        services.AddSingleton<DetectionHost>();
        services.AddSingleton<IHostedService>(p => p.GetRequiredService<DetectionHost>());
        services.AddSingleton<TelemetryIngestService>();
        services.AddSingleton<IncidentService>();
        return services;
    }
}
