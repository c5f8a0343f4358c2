using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Runtime;
using Fleetward.Server.Updates;
using Fleetward.Simulator;
using Fleetward.Simulator.Operator;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// The demo's simulated fleet: <see cref="FleetSimulator"/> robots (each a real agent with its own key, certificate, TUF
/// metadata and A/B slots) against the demo's control plane, enrolled over EST with factory certificates and then run in
/// the background until the demo stops them. Agents check in, report telemetry and fetch commands every few seconds so the
/// story moves at demo speed.
/// </summary>
public sealed class DemoFleet : IAsyncDisposable
{
    /// <summary>Check-in interval of every robot (jittered by the agent): how fast rollouts reach them.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(4);

    /// <summary>Telemetry and command intervals: how fast a compromise is seen and a signed command arrives.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource stop = new();
    private Task? running;

    private DemoFleet(FleetSimulator simulator, FleetOperatorClient operatorClient)
    {
        Simulator = simulator;
        Operator = operatorClient;
    }

    public FleetSimulator Simulator { get; }

    /// <summary>The simulator's operator API client (drills use it).</summary>
    public FleetOperatorClient Operator { get; }

    /// <summary>Creates the robots (registering one enrollment group per model); nothing is enrolled yet.</summary>
    public static async Task<DemoFleet> CreateAsync(DemoControlPlane plane, int devices, CancellationToken cancellationToken)
    {
        var operatorClient = new FleetOperatorClient(OperatorApiClient.CreateHttpClient(
            new OperatorConnection(plane.OperatorUrl, plane.Initialized.AdminToken, plane.Directory.OperatorCaPath)));
        try
        {
            var simulator = await FleetSimulator.CreateAsync(new FleetSimulatorOptions
            {
                DeviceListener = plane.DeviceUrl,
                FleetRoot = X509CertificateLoader.LoadCertificateFromFile(plane.CertificateAuthority.RootCertificatePath),
                TufRoot = await File.ReadAllBytesAsync(DevelopmentKeySet.RootFilePath(new UpdatesDirectory(plane.Directory.Root)), cancellationToken),
                StateRoot = Path.Combine(plane.Root, "fleet"),
                Devices = devices,
                Seed = 1,
                Intervals = new AgentIntervals(Interval, ReportInterval, ReportInterval),
                Enrollment = SimulatedEnrollment.FactoryCertificate,
                Models = [DemoReleases.Model],
                Factory = new FactoryRelease(DemoReleases.Factory.Version, DemoReleases.Factory.SecurityVersion),
            }, operatorClient, TimeProvider.System, cancellationToken);
            return new DemoFleet(simulator, operatorClient);
        }
        catch
        {
            operatorClient.Dispose();
            throw;
        }
    }

    /// <summary>Runs every robot's agent loop in the background until <see cref="DisposeAsync"/>.</summary>
    public void Start() => running ??= Simulator.RunAsync(stop.Token);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (running is not null)
        {
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
            }
        }
        await Simulator.DisposeAsync();
        Operator.Dispose();
        stop.Dispose();
    }
}
