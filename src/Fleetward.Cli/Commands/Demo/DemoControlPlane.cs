using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Microsoft.Extensions.Logging;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// The demo's own control plane. A temporary data directory made by the code paths of `fleetward init` and `fleetward ca
/// init` (operator certificate, audit log key, command key, development TUF keys, device CA), then the server started from
/// it as `fleetward server` starts it, with both listeners on loopback. Disposing stops the server and removes the
/// directory unless <see cref="KeepDirectory"/> was set (a failed demo keeps its server log for the user).
/// </summary>
public sealed class DemoControlPlane : IAsyncDisposable
{
    private readonly string root;
    private readonly string issuingPassphrase;
    private ControlPlane? plane;
    private DemoServerLog? log;

    private DemoControlPlane(string root, DataDirectory directory, InitializedDataDirectory initialized, InitializedCertificateAuthority ca, string issuingPassphrase)
    {
        this.root = root;
        Directory = directory;
        Initialized = initialized;
        CertificateAuthority = ca;
        this.issuingPassphrase = issuingPassphrase;
    }

    public DataDirectory Directory { get; }

    public InitializedDataDirectory Initialized { get; }

    public InitializedCertificateAuthority CertificateAuthority { get; }

    /// <summary>The operator listener (API and dashboard); set once started.</summary>
    public Uri OperatorUrl => plane?.Server.OperatorAddress ?? throw new InvalidOperationException("The demo server has not started.");

    /// <summary>The device listener (EST, check-in, telemetry, TUF over mutual TLS); set once started.</summary>
    public Uri DeviceUrl => plane?.Server.DeviceAddress ?? throw new InvalidOperationException("The demo server has not started.");

    /// <summary>Where the server's warnings and errors go while the demo runs.</summary>
    public string ServerLogPath => Path.Combine(root, "server.log");

    public string Root => root;

    /// <summary>Leave the directory in place on dispose (after a failure, for its log).</summary>
    public bool KeepDirectory { get; set; }

    /// <summary>Creates the directory and its keys under a fresh temporary folder.</summary>
    public static async Task<DemoControlPlane> InitializeAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "fleetward-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        System.IO.Directory.CreateDirectory(root);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            var directory = new DataDirectory(Path.Combine(root, "data"));
            // The device listener's port is fixed before start: device certificates name the CRL on that listener.
            var initialized = await DataDirectoryInitializer.InitializeAsync(directory, new Uri("https://127.0.0.1:0"),
                new Uri($"https://127.0.0.1:{FreeLoopbackPort()}"), null, TimeProvider.System, cancellationToken);
            // Throw-away secrets: the demo's CA lives only as long as its directory.
            var issuingPassphrase = Secret();
            var ca = CertificateAuthorityInitializer.Initialize(directory, Path.Combine(root, "ca-root-key.pem"), Secret(), null, issuingPassphrase,
                DateTimeOffset.UtcNow.AddMinutes(-1));
            return new DemoControlPlane(root, directory, initialized, ca, issuingPassphrase);
        }
        catch
        {
            System.IO.Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>Starts the server from the directory; its log goes to <see cref="ServerLogPath"/>.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        log = new DemoServerLog(ServerLogPath);
        // The server reads the issuing key's passphrase from the environment only (never from a file): hand it over for the start.
        var previous = Environment.GetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable);
        Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, issuingPassphrase);
        try
        {
            plane = await ControlPlane.StartAsync(Directory, new ControlPlaneOverrides(), new FleetwardServerSetup
            {
                ConfigureLogging = logging =>
                {
                    logging.ClearProviders();
                    logging.AddProvider(log);
                    logging.SetMinimumLevel(LogLevel.Warning);
                },
            }, cancellationToken);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, previous);
        }
    }

    /// <summary>An admin client of the operator API that trusts only the server's own certificate.</summary>
    public OperatorApiClient OperatorClient() =>
        new(new OperatorConnection(OperatorUrl, Initialized.AdminToken, Directory.OperatorCaPath));

    public async ValueTask DisposeAsync()
    {
        if (plane is not null)
        {
            using var grace = new CancellationTokenSource(ServerCommand.ShutdownGrace);
            try
            {
                await plane.StopAsync(grace.Token);
            }
            finally
            {
                await plane.DisposeAsync();
                plane = null;
            }
        }
        log?.Dispose();
        if (!KeepDirectory && System.IO.Directory.Exists(root))
        {
            System.IO.Directory.Delete(root, recursive: true);
        }
    }

    private static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The demo server's log: warnings and errors as plain lines in a file, so they never break the narration.</summary>
public sealed class DemoServerLog(string path) : ILoggerProvider
{
    private readonly StreamWriter writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    private readonly Lock gate = new();
    private bool closed;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        lock (gate)
        {
            closed = true;
            writer.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (gate)
        {
            if (!closed)
            {
                writer.WriteLine(line);
            }
        }
    }

    private sealed class Logger(DemoServerLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Write($"{DateTimeOffset.UtcNow:O} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
        }
    }
}
