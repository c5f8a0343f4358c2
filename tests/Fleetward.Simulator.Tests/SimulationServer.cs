using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Cli.Commands;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Fleetward.Server.Updates;
using Fleetward.Simulator.Operator;
using Microsoft.Extensions.Logging;

namespace Fleetward.Simulator.Tests;

/// <summary>
/// A real Fleetward server for simulator tests, made as an operator makes one: `fleetward init` and `fleetward ca init`
/// in a temporary data directory (SQLite), started on 127.0.0.1 with the clock the test gives (a
/// <see cref="SimulationClock"/> for virtual time), plus the operator API client the simulator uses.
/// </summary>
public sealed class SimulationServer : IAsyncDisposable
{
    private const string Passphrase = "simulator test passphrase";
    private readonly ControlPlane _plane;

    private SimulationServer(string root, DataDirectory data, ControlPlane plane, TimeProvider clock, string adminToken)
    {
        Root = root;
        Data = data;
        _plane = plane;
        Clock = clock;
        AdminToken = adminToken;
        OperatorCa = X509CertificateLoader.LoadCertificateFromFile(data.OperatorCaPath);
        FleetRoot = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(data.Root, "ca", "root.crt"));
        TufRoot = File.ReadAllBytes(DevelopmentKeySet.RootFilePath(new UpdatesDirectory(data.Root)));
        Operator = FleetOperatorClient.Create(plane.Server.OperatorAddress, adminToken, OperatorCa);
    }

    public string Root { get; }
    public DataDirectory Data { get; }
    public TimeProvider Clock { get; }
    public string AdminToken { get; }
    public X509Certificate2 OperatorCa { get; }
    public X509Certificate2 FleetRoot { get; }
    public byte[] TufRoot { get; }
    public FleetOperatorClient Operator { get; }
    public Uri DeviceAddress => _plane.Server.DeviceAddress;
    public Uri OperatorAddress => _plane.Server.OperatorAddress;
    public IServiceProvider Services => _plane.Server.Services;

    public static async Task<SimulationServer> StartAsync(TimeProvider clock)
    {
        var root = ScratchDirectory.Create("fleetward-sim-server-");
        var data = new DataDirectory(Path.Combine(root, "data"));
        var loopback = new Uri("https://127.0.0.1:0");
        var init = await DataDirectoryInitializer.InitializeAsync(data, loopback, loopback, null, clock, CancellationToken.None);
        CertificateAuthorityInitializer.Initialize(data, Path.Combine(root, "fleet-root-key.pem"), Passphrase, null, Passphrase, clock.GetUtcNow());
        Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, Passphrase);
        var plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(), new FleetwardServerSetup
        {
            Time = clock,
            ConfigureLogging = logging => logging.ClearProviders(),
        }, CancellationToken.None);
        return new SimulationServer(root, data, plane, clock, init.AdminToken);
    }

    /// <summary>Signs and publishes a release for every simulated model with the CLI (development keys `init` made).</summary>
    public async Task PublishAsync(string version, long securityVersion, int sizeBytes = 2048)
    {
        var file = Path.Combine(Root, $"robot-{version}.img");
        var content = new byte[sizeBytes];
        new Random(version.Length * 7919 + (int)securityVersion).NextBytes(content);
        await File.WriteAllBytesAsync(file, content);
        string? Env(string name) => name == KeysCommand.PassphraseVariable ? "correct horse battery staple" : null;
        var command = new RootCommand { ReleaseCommand.Create(Env) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await command.Parse([
            "release", "publish", file, "--version", version, "--security-version", securityVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. Fleetward.Simulator.Behaviour.RobotProfile.All.SelectMany(p => new[] { "--hardware", p.Model }), "--channel", "stable",
            "--server", OperatorAddress.AbsoluteUri, "--token", AdminToken, "--ca-file", Data.OperatorCaPath,
        ]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        Assert.True(code == 0, $"release publish {version}: {error}{output}");
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        await _plane.StopAsync(CancellationToken.None);
        await _plane.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing connection; the temp directory is cleaned by the system.
        }
    }
}
