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
            var deviceCa = LoadDeviceCertificateAuthority(directory, configuration, setup.Time);
            var options = new ServerOptions
            {
                OperatorUrl = configuration.OperatorUrl,
                DeviceUrl = configuration.DeviceUrl,
                OperatorCertificate = certificate,
                AuditLogSigner = LoadAuditLogSigner(directory, configuration),
                AuditCheckpointInterval = configuration.AuditCheckpointInterval,
                RolloutRollbackTimeout = configuration.RolloutRollbackTimeout,
                DeviceServerCertificate = deviceCa?.IssueListenerCertificate(configuration.DeviceUrl.Host, setup.Time.GetUtcNow(), TimeSpan.FromDays(30)),
                DeviceServerCertificateChain = deviceCa is null ? null : [deviceCa.Issuing],
                DataDirectory = directory.Root,
            };
            if (deviceCa is not null)
            {
                setup = new FleetwardServerSetup
                {
                    Time = setup.Time,
                    ConfigureLogging = setup.ConfigureLogging,
                    Modules = [.. setup.Modules, new Identity.DeviceCertificateAuthorityModule(deviceCa)],
                };
            }
            options.EnsureValid();
            store = configuration.Engine == StorageEngine.Postgres
                ? await FleetStores.OpenPostgresAsync(configuration.PostgresConnectionString!, cancellationToken, setup.Time)
                : await FleetStores.OpenSqliteAsync(configuration.SqlitePath, cancellationToken, setup.Time);
            var commandKey = LoadCommandKey(directory);
            var server = FleetwardServer.Build(options, store, new FleetwardServerSetup
            {
                Time = setup.Time,
                ConfigureLogging = setup.ConfigureLogging,
                Modules = [new Detection.DetectionConfigurationModule(commandKey, configuration.Siem), .. setup.Modules],
            });
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

    private static Fleetward.Trust.Notes.INoteSigner? LoadAuditLogSigner(DataDirectory directory, ServerConfiguration configuration)
    {
        if (configuration.AuditLogKeyPath is null)
        {
            return null;
        }
        try
        {
            return Audit.AuditLogKeyFile.Load(configuration.AuditLogKeyPath, configuration.AuditOrigin);
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(directory.ConfigurationPath, "audit.logKey",
                $"cannot load the audit log key {configuration.AuditLogKeyPath}: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Opens the device CA when `fleetward ca init` configured one: the issuing key's passphrase or PIN comes from
    /// the environment (<see cref="Identity.CertificateAuthorityConfiguration.PassphraseVariable"/>), never the file.
    /// </summary>
    private static Identity.FleetCertificateAuthority? LoadDeviceCertificateAuthority(DataDirectory directory, ServerConfiguration configuration, TimeProvider time)
    {
        if (configuration.CertificateAuthority is not { } ca)
        {
            return null;
        }
        var passphrase = Environment.GetEnvironmentVariable(Identity.CertificateAuthorityConfiguration.PassphraseVariable);
        if (string.IsNullOrEmpty(passphrase))
        {
            throw new ConfigurationException(directory.ConfigurationPath, "ca.issuingKey",
                $"the issuing CA key needs its passphrase or PIN in the environment variable {Identity.CertificateAuthorityConfiguration.PassphraseVariable}.");
        }
        try
        {
            var crl = new UriBuilder(configuration.DeviceUrl) { Path = Identity.CrlPublisher.Path }.Uri;
            return Identity.FleetCertificateAuthority.Load(ca, passphrase, crl);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            throw new ConfigurationException(directory.ConfigurationPath, "ca", $"cannot load the device CA: {exception.Message}", exception);
        }
    }

    private static Detection.ServerCommandKey LoadCommandKey(DataDirectory directory)
    {
        try
        {
            // Data directories initialised before command signing get their key on first start.
            return File.Exists(directory.CommandKeyPath)
                ? Detection.ServerCommandKey.Load(directory.CommandKeyPath)
                : Detection.ServerCommandKey.Create(directory.CommandKeyPath);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigurationException(directory.CommandKeyPath, null,
                $"cannot load the server command key: {exception.Message}", exception);
        }
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
