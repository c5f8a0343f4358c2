using Fleetward.Agent.Runtime;

namespace Fleetward.Simulator.Tests.Fleet;

/// <summary>A real server on a <see cref="SimulationClock"/> and a simulated fleet against it, torn down together.</summary>
public sealed class SimulatedFleetRig : IAsyncDisposable
{
    private readonly string _stateRoot;

    private SimulatedFleetRig(SimulationClock clock, SimulationServer server, FleetSimulator fleet, string stateRoot)
    {
        Clock = clock;
        Server = server;
        Fleet = fleet;
        _stateRoot = stateRoot;
    }

    public SimulationClock Clock { get; }
    public SimulationServer Server { get; }
    public FleetSimulator Fleet { get; }

    public static readonly DateTimeOffset Start = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    public static async Task<SimulatedFleetRig> StartAsync(int devices, AgentIntervals intervals, ulong seed = 7, Func<FleetSimulatorOptions, FleetSimulatorOptions>? adjust = null)
    {
        // The clock starts at the real present so the TLS stacks (which check certificates against the wall clock) agree
        // with the server's issuance times for the simulated day.
        var clock = new SimulationClock(DateTimeOffset.UtcNow);
        var server = await SimulationServer.StartAsync(clock);
        var stateRoot = ScratchDirectory.Create("fleetward-sim-fleet-");
        var options = new FleetSimulatorOptions
        {
            DeviceListener = server.DeviceAddress,
            FleetRoot = server.FleetRoot,
            TufRoot = server.TufRoot,
            StateRoot = stateRoot,
            Devices = devices,
            Seed = seed,
            Intervals = intervals,
            MaxConcurrency = 8,
        };
        var fleet = await FleetSimulator.CreateAsync(adjust?.Invoke(options) ?? options, server.Operator, clock, default);
        return new SimulatedFleetRig(clock, server, fleet, stateRoot);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_stateRoot, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaning.
        }
    }
}
