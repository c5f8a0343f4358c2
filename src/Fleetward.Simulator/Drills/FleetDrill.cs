using Fleetward.Simulator.Operator;

namespace Fleetward.Simulator.Drills;

/// <summary>How a drill ended, from the defender's side.</summary>
public enum DrillVerdict
{
    /// <summary>The attack was detected, contained or refused as it should be.</summary>
    Defended,

    /// <summary>The attack went through or went unnoticed within the drill's patience.</summary>
    NotDefended,

    /// <summary>The drill could not be staged (no suitable robot, no older release, ...); the reason says why.</summary>
    NotRun,
}

/// <summary>One thing the drill did or saw, in order.</summary>
public sealed record DrillStep(DateTimeOffset At, string What);

/// <summary>What a drill did to whom and what the defences did about it.</summary>
public sealed record DrillReport(
    string Drill,
    DrillVerdict Verdict,
    string Summary,
    IReadOnlyList<string> Devices,
    IReadOnlyList<DrillStep> Steps,
    TimeSpan? TimeToDetect = null,
    TimeSpan? TimeToContain = null,
    string? IncidentId = null)
{
    public bool Defended => Verdict == DrillVerdict.Defended;
}

/// <summary>
/// Where a drill runs: the fleet, the operator API (server URL plus an operator token), and how to let time pass.
/// <see cref="LetTimePassAsync"/> runs the fleet for that long in virtual time (with a <see cref="SimulationClock"/>), or
/// waits while the fleet runs in the background in real time.
/// </summary>
public sealed record DrillContext(FleetSimulator Fleet, FleetOperatorClient Operator, Func<TimeSpan, CancellationToken, Task> LetTimePass)
{
    public TimeProvider Time => Fleet.Time;

    /// <summary>The robot to attack; null lets the drill pick a suitable one (deterministically).</summary>
    public string? TargetDevice { get; init; }

    /// <summary>How long the drill waits for the defences (detection, quarantine, rollback) before it gives up.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(10);

    public Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken) => LetTimePass(duration, cancellationToken);

    /// <summary>A context whose time is the fleet's <see cref="SimulationClock"/>: letting time pass runs the fleet.</summary>
    public static DrillContext Virtual(FleetSimulator fleet, FleetOperatorClient operatorApi, SimulationClock clock) =>
        new(fleet, operatorApi, (duration, ct) => fleet.RunForAsync(clock, duration, ct));

    /// <summary>A context for a fleet already running in real time (<see cref="FleetSimulator.RunAsync"/>): letting time pass waits.</summary>
    public static DrillContext RealTime(FleetSimulator fleet, FleetOperatorClient operatorApi) =>
        new(fleet, operatorApi, (duration, ct) => Task.Delay(duration, fleet.Time, ct));
}

/// <summary>
/// A named, reusable attack scenario against a running simulated fleet and its server. Each drill stages the attack
/// with real components (the robot's agent, its certificate, its TUF client, the operator API), then watches what the
/// server and the agent do about it and reports a verdict with its evidence.
/// </summary>
public interface IFleetDrill
{
    /// <summary>The name `fleetward sim --drill NAME` takes, e.g. "mirai".</summary>
    string Name { get; }

    string Description { get; }

    Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken);
}

/// <summary>The drills the simulator knows by name.</summary>
public static class FleetDrills
{
    public static IReadOnlyList<IFleetDrill> All { get; } =
    [
        new MiraiInfectionDrill(),
        new DowngradeDrill(),
        new TamperedArtifactDrill(),
        new StolenCertificateDrill(),
        new GeofenceBreachDrill(),
        new ChassisTamperDrill(),
        new BadReleaseDrill(),
    ];

    public static IFleetDrill ByName(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"No drill named '{name}'; known drills: {string.Join(", ", All.Select(d => d.Name))}.", nameof(name));
}

/// <summary>What several drills share: a step log, picking a target, and waiting for an incident or a state.</summary>
internal sealed class DrillLog(DrillContext context)
{
    private readonly List<DrillStep> _steps = [];

    public IReadOnlyList<DrillStep> Steps => _steps;

    public void Add(string what) => _steps.Add(new DrillStep(context.Time.GetUtcNow(), what));

    /// <summary>
    /// The robot to attack: the named one, else the first enrolled robot (by id) that the predicate accepts and that is
    /// not isolated.
    /// </summary>
    public VirtualRobot? PickTarget(Func<VirtualRobot, bool>? suitable = null)
    {
        if (context.TargetDevice is { } named) return context.Fleet.Robot(named);
        return context.Fleet.Robots
            .Where(r => r.Status.CertificateNotAfter is not null && !r.Status.Isolated && (suitable?.Invoke(r) ?? true))
            .OrderBy(r => r.DeviceId, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>
    /// Lets time pass in steps of <paramref name="step"/> until an incident with <paramref name="cause"/> is open on the
    /// device (returned) or the context's patience runs out (null).
    /// </summary>
    public async Task<IncidentInfo?> WaitForIncidentAsync(string deviceId, string cause, TimeSpan step, CancellationToken cancellationToken)
    {
        var deadline = context.Time.GetUtcNow() + context.Patience;
        while (true)
        {
            var incident = (await context.Operator.IncidentsAsync(deviceId, openOnly: false, 50, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(i => i.Cause == cause);
            if (incident is not null) return incident;
            if (context.Time.GetUtcNow() >= deadline) return null;
            await context.LetTimePassAsync(step, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lets time pass in steps until <paramref name="condition"/> holds (true) or patience runs out (false).</summary>
    public async Task<bool> WaitUntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan step, CancellationToken cancellationToken)
    {
        var deadline = context.Time.GetUtcNow() + context.Patience;
        while (true)
        {
            if (await condition(cancellationToken).ConfigureAwait(false)) return true;
            if (context.Time.GetUtcNow() >= deadline) return false;
            await context.LetTimePassAsync(step, cancellationToken).ConfigureAwait(false);
        }
    }
}
