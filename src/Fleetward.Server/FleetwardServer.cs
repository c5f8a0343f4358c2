using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Devices;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Hosting;
using Fleetward.Server.Metrics;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server;

/// <summary>Ambient choices for one server instance: the clock, logging, and the area modules beyond the built-in ones.</summary>
public sealed class FleetwardServerSetup
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Replaces the default logging (JSON lines on the console, Information and up).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>Modules added after <see cref="FleetwardServer.BuiltInModules"/> (tests, the demo, optional areas).</summary>
    public IReadOnlyList<IServerModule> Modules { get; init; } = [];
}

/// <summary>
/// The composition root of the control plane: Kestrel with an operator listener (HTTPS, bearer
/// tokens) and a device listener (HTTPS requiring client certificates), the middleware pipeline,
/// and every area's endpoints. The store is owned by the caller.
/// </summary>
public sealed class FleetwardServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ListenOptionsHolder operatorListen;
    private readonly ListenOptionsHolder deviceListen;

    private FleetwardServer(WebApplication app, ListenOptionsHolder operatorListen, ListenOptionsHolder deviceListen)
    {
        this.app = app;
        this.operatorListen = operatorListen;
        this.deviceListen = deviceListen;
    }

    /// <summary>The areas every server has. Later areas (EST, TUF, rollouts, audit, telemetry, dashboard) add theirs here.</summary>
    public static IReadOnlyList<IServerModule> BuiltInModules() =>
    [
        new OperationsEndpoints(),
        new TokenEndpoints(),
        new DeviceEndpoints(),
        new AuditEndpoints(),
        new RolloutEndpoints(),
        new CheckInEndpoints(),
        new DashboardEndpoints(),
        new Identity.IdentityModule(),
        new TelemetryEndpoints(),
        new IncidentEndpoints(),
        new DeviceCommandEndpoints(),
        new TufEndpoints(),
        new ReleaseEndpoints(),
        new ReceiptEndpoints(),
        new GeofenceEndpoints(),
        new ForensicEndpoints(),
    ];

    public IServiceProvider Services => app.Services;

    /// <summary>The bound operator listener address, e.g. https://127.0.0.1:8443/ (after <see cref="StartAsync"/>).</summary>
    public Uri OperatorAddress => operatorListen.Address;

    /// <summary>The bound device listener address (after <see cref="StartAsync"/>).</summary>
    public Uri DeviceAddress => deviceListen.Address;

    /// <summary>Every endpoint of the server, as routing sees it (for route enumeration checks).</summary>
    public IReadOnlyList<Endpoint> Endpoints => [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints)];

    /// <summary>Validates the options and assembles the server; nothing binds until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ServerOptionsException">An option is invalid; the message names it.</exception>
    public static FleetwardServer Build(ServerOptions options, IFleetStore store, FleetwardServerSetup? setup = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        setup ??= new FleetwardServerSetup();
        options.EnsureValid();
        ServerOptions.TryGetEndPoint(options.OperatorUrl, out var operatorEndPoint, out _);
        ServerOptions.TryGetEndPoint(options.DeviceUrl, out var deviceEndPoint, out _);
        var modules = BuiltInModules().Concat(setup.Modules).ToList();

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(FleetwardServer).Assembly.GetName().Name });
        ConfigureLogging(builder.Logging, setup);

        var operatorListen = new ListenOptionsHolder();
        var deviceListen = new ListenOptionsHolder();
        IServiceProvider? applicationServices = null;
        var deviceTls = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = options.DeviceServerCertificate ?? options.OperatorCertificate,
            ServerCertificateChain = options.DeviceServerCertificateChain,
            // Devices speak mutual TLS 1.3 only. The client certificate mode is settled once the routes
            // are known (below): certificate-less clients are let in only when some route is declared
            // anonymous (EST bootstrap, TUF metadata), and DeviceCertificateGate keeps every other
            // device route closed to them.
            SslProtocols = SslProtocols.Tls13,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (certificate, chain, errors) =>
                ValidateDeviceCertificate(applicationServices!, certificate, chain, errors),
        };
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(operatorEndPoint, listen =>
            {
                operatorListen.Options = listen;
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection =>
                {
                    connection.Features.Set(new ListenerFeature(FleetwardListener.Operator));
                    return next(connection);
                });
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = options.OperatorCertificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.NoCertificate,
                });
            });
            kestrel.Listen(deviceEndPoint, listen =>
            {
                deviceListen.Options = listen;
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection =>
                {
                    connection.Features.Set(new ListenerFeature(FleetwardListener.Device));
                    return next(connection);
                });
                listen.UseHttps(deviceTls);
            });
        });

        var services = builder.Services;
        services.AddRoutingCore();
        services.AddMetrics();
        services.AddSingleton(setup.Time);
        services.AddSingleton(store);
        services.AddSingleton(options);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(provider => new PrometheusExporter(
            provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            meterName => meterName.StartsWith("Fleetward", StringComparison.Ordinal)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        foreach (var module in modules)
        {
            module.ConfigureServices(services, options);
        }
        services.TryAddSingleton<IDeviceCertificateValidator, NoDeviceCertificateAuthority>();

        var app = builder.Build();
        applicationServices = app.Services;
        app.UseMiddleware<HttpMetricsMiddleware>();
        app.UseMiddleware<ProblemMiddleware>();
        app.UseRouting();
        app.UseMiddleware<OperatorAuthenticationMiddleware>();
        app.UseMiddleware<DeviceCertificateGate>();
        app.UseMiddleware<Identity.DeviceAuthenticationMiddleware>();

        var operatorRoot = app.MapGroup("").WithMetadata(new ListenerMetadata(FleetwardListener.Operator));
        var deviceRoot = app.MapGroup("").WithMetadata(new ListenerMetadata(FleetwardListener.Device));
        var routes = new FleetwardRoutes(operatorRoot, operatorRoot.MapGroup("/api/v1"), deviceRoot);
        foreach (var module in modules)
        {
            module.MapEndpoints(routes);
        }

        var server = new FleetwardServer(app, operatorListen, deviceListen);
        EnsureEveryRouteDeclaresAccess(server.Endpoints);
        if (server.Endpoints.Any(endpoint =>
                endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Listener == FleetwardListener.Device
                && endpoint.Metadata.GetMetadata<AnonymousDeviceEndpointMetadata>() is not null))
        {
            deviceTls.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        }
        // Create the exporter and instruments now so the first scrape already sees every instrument.
        app.Services.GetRequiredService<PrometheusExporter>();
        app.Services.GetRequiredService<ServerMetrics>();
        return server;
    }

    /// <summary>Binds both listeners and starts serving.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    /// <summary>Stops accepting, lets in-flight requests finish (until the token fires), then closes.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
    }

    /// <summary>
    /// Fails the build when a route has no listener, or declares no access rule for its listener:
    /// such a route would otherwise be unreachable (404) or reachable by anyone.
    /// </summary>
    private static void EnsureEveryRouteDeclaresAccess(IReadOnlyList<Endpoint> endpoints)
    {
        var faults = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var listener = endpoint.Metadata.GetMetadata<ListenerMetadata>();
            if (listener is null)
            {
                faults.Add($"'{endpoint.DisplayName}' is mapped outside the listener route groups");
            }
            else if (listener.Listener == FleetwardListener.Operator
                && endpoint.Metadata.GetMetadata<RequiredRoleMetadata>() is null
                && endpoint.Metadata.GetMetadata<PublicEndpointMetadata>() is null)
            {
                faults.Add($"operator route '{endpoint.DisplayName}' declares neither RequireRole nor AllowWithoutToken");
            }
            else if (listener.Listener == FleetwardListener.Device
                && endpoint.Metadata.GetMetadata<DeviceAccessMetadata>() is null
                && endpoint.Metadata.GetMetadata<AnonymousDeviceEndpointMetadata>() is null)
            {
                faults.Add($"device route '{endpoint.DisplayName}' declares neither RequireDevice nor AllowWithoutDeviceCertificate");
            }
        }
        if (faults.Count > 0)
        {
            throw new InvalidOperationException("Routes without an access rule: " + string.Join("; ", faults) + ".");
        }
    }

    /// <summary>The server's standard logs: one JSON object per line on stdout, UTC timestamps; ASP.NET Core's own chatter from Warning up.</summary>
    public static void UseJsonConsoleLogging(ILoggingBuilder logging, LogLevel minimum)
    {
        logging.ClearProviders();
        logging.AddJsonConsole(json =>
        {
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.IncludeScopes = false;
        });
        logging.SetMinimumLevel(minimum);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning > minimum ? LogLevel.Warning : minimum);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, FleetwardServerSetup setup)
    {
        if (setup.ConfigureLogging is not null)
        {
            setup.ConfigureLogging(logging);
            return;
        }
        UseJsonConsoleLogging(logging, LogLevel.Information);
    }

    private static bool ValidateDeviceCertificate(IServiceProvider services, X509Certificate2 certificate, X509Chain? chain, System.Net.Security.SslPolicyErrors errors)
    {
        var decision = services.GetRequiredService<IDeviceCertificateValidator>().Validate(certificate, chain, errors);
        if (!decision.Accepted)
        {
            services.GetRequiredService<ServerMetrics>().DeviceHandshakeRefused();
            services.GetRequiredService<ILogger<FleetwardServer>>().LogInformation(
                "Device certificate refused: subject {Subject}, thumbprint {Thumbprint}: {Reason}",
                certificate.Subject, certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), decision.Reason);
        }
        return decision.Accepted;
    }

    /// <summary>Kestrel rewrites a listener's endpoint with the bound port; this keeps the reference to read it after start.</summary>
    private sealed class ListenOptionsHolder
    {
        public ListenOptions? Options { get; set; }

        public Uri Address
        {
            get
            {
                var endPoint = Options?.IPEndPoint ?? throw new InvalidOperationException("The server has not started.");
                var host = endPoint.Address.Equals(IPAddress.Any) ? "0.0.0.0" : endPoint.Address.ToString();
                return new UriBuilder(Uri.UriSchemeHttps, endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + host + "]" : host, endPoint.Port).Uri;
            }
        }
    }
}
