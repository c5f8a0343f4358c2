using Fleetward.Core.Ports;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Fleetward.Storage;
using System.Security.Cryptography;

namespace Fleetward.Server;

/// <summary>Command-line overrides of the configuration file for one run of the server.</summary>
public sealed record ControlPlaneOverrides(string? PostgresConnectionString = null, Uri? OperatorUrl = null, Uri? DeviceUrl = null);

/// <summary>
/// A control plane running from a data directory: holds the directory lock, the store and the
/// server, and releases them in reverse order. What `fleetward server` runs until it is told to stop.
/// </summary>
public sealed class ControlPlane : IAsyncDisposable
{
    private readonly DataDirectoryLock directoryLock;
    private readonly IFleetStore store;

    private ControlPlane(DataDirectoryLock directoryLock, IFleetStore store, FleetwardServer server, ServerConfiguration configuration)
    {
        this.directoryLock = directoryLock;
        this.store = store;
        Server = server;
        Configuration = configuration;
    }

    public FleetwardServer Server { get; }

    /// <summary>The configuration in force (file plus overrides).</summary>
    public ServerConfiguration Configuration { get; }

    /// <summary>Loads the configuration, takes the directory lock, opens the store (migrating it) and starts both listeners.</summary>
    /// <exception cref="ConfigurationException">The configuration file or a file it names is unusable; the message names the file and key.</exception>
    /// <exception cref="DataDirectoryLockedException">Another server runs on this data directory.</exception>
    /// <exception cref="StoreSchemaException">The database was migrated by a newer Fleetward.</exception>
    public static async Task<ControlPlane> StartAsync(DataDirectory directory, ControlPlaneOverrides overrides, FleetwardServerSetup? setup, CancellationToken cancellationToken)
    {
        setup ??= new FleetwardServerSetup();
        var configuration = ConfigurationFile.Load(directory);
        configuration = configuration with
        {
            OperatorUrl = overrides.OperatorUrl ?? configuration.OperatorUrl,
            DeviceUrl = overrides.DeviceUrl ?? configuration.DeviceUrl,
            Engine = overrides.PostgresConnectionString is null ? configuration.Engine : StorageEngine.Postgres,
            PostgresConnectionString = overrides.PostgresConnectionString ?? configuration.PostgresConnectionString,
        };

        var directoryLock = DataDirectoryLock.Acquire(directory);
        IFleetStore? store = null;
        try
        {
            var certificate = LoadCertificate(directory, configuration);
            var options = new ServerOptions
            {
                OperatorUrl = configuration.OperatorUrl,
                DeviceUrl = configuration.DeviceUrl,
                OperatorCertificate = certificate,
                DataDirectory = directory.Root,
            };
            options.EnsureValid();
            store = configuration.Engine == StorageEngine.Postgres
                ? await FleetStores.OpenPostgresAsync(configuration.PostgresConnectionString!, cancellationToken, setup.Time)
                : await FleetStores.OpenSqliteAsync(configuration.SqlitePath, cancellationToken, setup.Time);
            var server = FleetwardServer.Build(options, store, setup);
            try
            {
                await server.StartAsync(cancellationToken);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
            return new ControlPlane(directoryLock, store, server, configuration);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>Stops the listeners (in-flight requests get until <paramref name="cancellationToken"/> fires).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Server.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await store.DisposeAsync();
        directoryLock.Dispose();
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadCertificate(DataDirectory directory, ServerConfiguration configuration)
    {
        try
        {
            return OperatorCertificate.LoadPem(configuration.OperatorCertificatePath, configuration.OperatorKeyPath);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigurationException(directory.ConfigurationPath, "tls.operatorCertificate",
                $"cannot load the certificate {configuration.OperatorCertificatePath} with key {configuration.OperatorKeyPath}: {exception.Message}", exception);
        }
    }
}
