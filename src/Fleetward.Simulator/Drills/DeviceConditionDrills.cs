using Fleetward.Core.Detection;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// A robot is carried off its site (stolen from the yard): its GPS fixes land kilometres outside its fence. Defended
/// when the server opens a geofence-exit incident. The drill first sets the robot's fence through the operator API.
/// </summary>
public sealed class GeofenceBreachDrill : IFleetDrill
{
    /// <summary>How far beyond its fence the robot is carried.</summary>
    public double MetersOutside { get; init; } = 5_000;

    public string Name => "geofence";

    public string Description => "A robot with GPS is carried kilometres outside its geofence; expect a geofence-exit incident.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var robot = log.PickTarget(r => r.Body.Profile.HasGps);
        if (robot?.Body.Geofence is not CircleGeofence fence)
            return new DrillReport(Name, DrillVerdict.NotRun, "no enrolled robot with GPS and a fence", [], log.Steps);

        // The operator fences the robot's site on the server, as `fleetward geofence set` does.
        await context.Operator.SetDeviceGeofenceAsync(robot.DeviceId, fence.Name, fence.Center.Latitude, fence.Center.Longitude, fence.RadiusMeters, cancellationToken).ConfigureAwait(false);
        log.Add($"operator set {robot.DeviceId}'s fence '{fence.Name}': {fence.RadiusMeters:F0} m around its site");
        await context.LetTimePassAsync(context.Fleet.Options.Intervals.Telemetry, cancellationToken).ConfigureAwait(false);
        var start = context.Time.GetUtcNow();
        var north = fence.RadiusMeters + MetersOutside;
        var away = new GeoPoint(fence.Center.Latitude + north / 111_195.08, fence.Center.Longitude);
        robot.Body.Condition = robot.Body.Condition with { DisplacedTo = away };
        log.Add($"{robot.DeviceId} carried {MetersOutside / 1000:F1} km outside fence '{fence.Name}'");
        var incident = await log.WaitForIncidentAsync(robot.DeviceId, DetectionCauses.GeofenceExit, context.Fleet.Options.Intervals.Telemetry / 2, cancellationToken).ConfigureAwait(false);
        return ConditionDrill.Report(Name, robot, log, incident, start, "geofence exit");
    }
}

/// <summary>The robot's enclosure is opened (chassis tamper switch). Defended when the server opens a tamper incident.</summary>
public sealed class ChassisTamperDrill : IFleetDrill
{
    public string Name => "tamper";

    public string Description => "A robot's chassis is opened (tamper switch reads open); expect a tamper incident.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var robot = log.PickTarget();
        if (robot is null) return new DrillReport(Name, DrillVerdict.NotRun, "no enrolled, unisolated robot", [], log.Steps);
        var start = context.Time.GetUtcNow();
        robot.Body.Condition = robot.Body.Condition with { TamperOpen = true };
        log.Add($"{robot.DeviceId} chassis opened");
        var incident = await log.WaitForIncidentAsync(robot.DeviceId, DetectionCauses.Tamper, context.Fleet.Options.Intervals.Telemetry / 2, cancellationToken).ConfigureAwait(false);
        return ConditionDrill.Report(Name, robot, log, incident, start, "chassis tamper");
    }
}

internal static class ConditionDrill
{
    public static DrillReport Report(string drill, VirtualRobot robot, DrillLog log, Operator.IncidentInfo? incident, DateTimeOffset start, string what)
    {
        if (incident is null)
        {
            log.Add($"no incident within the drill's patience");
            return new DrillReport(drill, DrillVerdict.NotDefended, $"{what} on {robot.DeviceId} went unnoticed", [robot.DeviceId], log.Steps);
        }
        log.Add($"incident {incident.Id} ({incident.Severity}, {incident.Status}): {incident.Summary}");
        return new DrillReport(drill, DrillVerdict.Defended,
            $"{what} on {robot.DeviceId} detected {MiraiInfectionDrill.FormatSpan(incident.DetectedAt - start)} later",
            [robot.DeviceId], log.Steps, incident.DetectedAt - start, null, incident.Id);
    }
}
