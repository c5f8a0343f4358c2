using Fleetward.Core.Ports;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Detection;

/// <summary>
/// What a server running from a data directory adds to detection: its persistent command key and the SIEM sinks
/// of fleetward.json, each drained by its own <see cref="SiemExporter"/>. Registered by the control plane after the
/// built-in modules, so it replaces their in-memory defaults.
/// </summary>
public sealed class DetectionConfigurationModule(ServerCommandKey commandKey, SiemConfiguration siem) : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(commandKey);
        services.AddSingleton(new DetectionServerOptions { SiemSinks = siem.Sinks });
        if (siem.Syslog is { } syslog)
        {
            services.AddSingleton<IHostedService>(p => new SiemExporter(new SyslogTlsTransport(syslog), p.GetRequiredService<IFleetStore>(),
                p.GetRequiredService<TimeProvider>(), p.GetRequiredService<ILogger<SiemExporter>>()));
        }
        if (siem.Webhook is { } webhook)
        {
            services.AddSingleton<IHostedService>(p => new SiemExporter(new WebhookTransport(webhook, new HttpClient { Timeout = TimeSpan.FromSeconds(30) }),
                p.GetRequiredService<IFleetStore>(), p.GetRequiredService<TimeProvider>(), p.GetRequiredService<ILogger<SiemExporter>>()));
        }
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
    }
}
