using System.Diagnostics;
using Fleetward.Agent.Runtime;
using Xunit.Abstractions;

namespace Fleetward.Simulator.Tests.Fleet;

public sealed class FleetSimulatorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_small_fleet_enrolls_with_factory_identities_checks_in_and_reports_over_mutual_tls()
    {
        var minute = TimeSpan.FromMinutes(1);
        await using var rig = await SimulatedFleetRig.StartAsync(12, new AgentIntervals(minute, minute, minute));
        var watch = Stopwatch.StartNew();

        Assert.Equal(12, await rig.Fleet.EnrollAsync(default));
        await rig.Fleet.RunForAsync(rig.Clock, TimeSpan.FromMinutes(10), default);

        var counters = rig.Fleet.Counters();
        output.WriteLine($"{counters} in {watch.Elapsed}");
        Assert.Equal(12, counters.Enrolled);
        Assert.Equal(12, counters.CheckedIn);
        Assert.InRange(counters.TelemetryReports, 12 * 8, 12 * 12);
        Assert.Equal(0, counters.Quarantined);
        Assert.Empty(await rig.Server.Operator.IncidentsAsync(null, openOnly: false, 100, default));
    }
}
