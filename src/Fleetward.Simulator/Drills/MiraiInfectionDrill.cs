using Fleetward.Simulator.Behaviour;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// A robot turns into a Mirai bot: its telemetry shows a telnet scan fan-out, a listener on the port of the service the
/// bot killed, and a process running from a deleted executable. Defended when the server opens a mirai-like incident
/// and quarantines the device (state quarantined) by its automatic playbook.
/// </summary>
public sealed class MiraiInfectionDrill : IFleetDrill
{
    public string Name => "mirai";

    public string Description => "A robot turns Mirai-like (telnet scan fan-out, listener on a killed service's port, deleted executable); expect detection and automatic quarantine.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var robot = log.PickTarget();
        if (robot is null) return new DrillReport(Name, DrillVerdict.NotRun, "no enrolled, unisolated robot to infect", [], log.Steps);

        var infectedAt = context.Time.GetUtcNow();
        robot.Body.Condition = robot.Body.Condition with { Mirai = new MiraiInfection(infectedAt) };
        log.Add($"{robot.DeviceId} infected: scanning telnet, sshd killed and its port taken, bot unlinked its executable");

        var telemetry = context.Fleet.Options.Intervals.Telemetry;
        var incident = await log.WaitForIncidentAsync(robot.DeviceId, "mirai-like", telemetry / 4, cancellationToken).ConfigureAwait(false);
        if (incident is null)
        {
            log.Add("no mirai-like incident within the drill's patience");
            return new DrillReport(Name, DrillVerdict.NotDefended, $"{robot.DeviceId} was not detected", [robot.DeviceId], log.Steps);
        }
        log.Add($"incident {incident.Id} ({incident.Severity}): {incident.Summary}");

        DateTimeOffset? quarantinedAt = null;
        await log.WaitUntilAsync(async ct =>
        {
            if (await context.Operator.DeviceStateAsync(robot.DeviceId, ct).ConfigureAwait(false) != "quarantined") return false;
            quarantinedAt ??= context.Time.GetUtcNow();
            return true;
        }, telemetry / 4, cancellationToken).ConfigureAwait(false);
        if (quarantinedAt is null)
        {
            return new DrillReport(Name, DrillVerdict.NotDefended, $"{robot.DeviceId} detected but not quarantined", [robot.DeviceId], log.Steps,
                incident.DetectedAt - infectedAt, null, incident.Id);
        }
        log.Add($"{robot.DeviceId} quarantined by the server");
        // The robot learns of it on its next contact: the signed isolate command, or (when the playbook rotated its
        // credentials) the server refusing to enroll it again while it is quarantined.
        await log.WaitUntilAsync(_ => Task.FromResult(VirtualRobot.IsQuarantined(robot.Status)), context.Fleet.Options.Intervals.Commands / 2, cancellationToken).ConfigureAwait(false);
        var status = robot.Status;
        log.Add(status.Isolated ? $"{robot.DeviceId} agent isolated itself on the signed isolate command"
            : VirtualRobot.IsQuarantined(status) ? $"{robot.DeviceId} is cut off: {status.LastError}"
            : $"{robot.DeviceId} agent has not noticed the quarantine yet");
        return new DrillReport(Name, DrillVerdict.Defended,
            $"{robot.DeviceId} detected {FormatSpan(incident.DetectedAt - infectedAt)} after infection and quarantined",
            [robot.DeviceId], log.Steps, incident.DetectedAt - infectedAt, quarantinedAt - infectedAt, incident.Id);
    }

    internal static string FormatSpan(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:F0} s" : $"{span.TotalMinutes:F1} min";
}
