using Fleetward.Simulator.Operator;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// A compromised operator account (or a replayed old instruction) tries to put a robot back on an old release that
/// is validly signed but below the robot's security version: the classic rollback to a known-vulnerable image.
/// Defended when the server refuses the rollout, or the robot's agent refuses the install (its security-version floor,
/// TUF spec 5.7 plus the monotonic installed version), so the robot stays on its release.
/// </summary>
public sealed class DowngradeDrill : IFleetDrill
{
    public string Name => "downgrade";

    public string Description => "A rollout tries to put a robot back on an old, validly signed release below its security version; expect the downgrade refused.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var releases = await context.Operator.ReleasesAsync(cancellationToken).ConfigureAwait(false);
        ReleaseInfo? Older(VirtualRobot r) => releases
            .Where(rel => rel.Hardware.Contains(r.Model) && rel.SecurityVersion < Math.Max(r.Status.SecurityVersionFloor, r.Status.Installed.SecurityVersion ?? 0))
            .MinBy(rel => rel.SecurityVersion);
        var robot = log.PickTarget(r => Older(r) is not null);
        var old = robot is null ? null : Older(robot);
        if (robot is null || old is null)
            return new DrillReport(Name, DrillVerdict.NotRun, "no robot runs a release with an older signed release below its security version", [], log.Steps);

        var installedBefore = robot.Status.Installed;
        log.Add($"{robot.DeviceId} runs {installedBefore.Version} (security version {installedBefore.SecurityVersion}, floor {robot.Status.SecurityVersionFloor}); target {old.Version} (security version {old.SecurityVersion})");
        string rollout;
        try
        {
            rollout = await context.Operator.StartRolloutAsync(old, [robot.DeviceId], [100m], 100m, cancellationToken).ConfigureAwait(false);
        }
        catch (OperatorApiCallException refused)
        {
            log.Add($"server refused the downgrade rollout: {refused.Code}: {refused.Detail}");
            return new DrillReport(Name, DrillVerdict.Defended, $"server refused to roll {robot.DeviceId} back to {old.Version} ({refused.Code})", [robot.DeviceId], log.Steps);
        }
        log.Add($"rollout {rollout} of {old.Version} to {robot.DeviceId} started");

        var start = context.Time.GetUtcNow();
        var ended = await log.WaitUntilAsync(_ => Task.FromResult(
                robot.Status.LastInstruction?.RolloutId == rollout && robot.Status.LastPhase is "failed" or "succeeded" or "rolled-back" or "rollback-failed"),
            context.Fleet.Options.Intervals.CheckIn / 2, cancellationToken).ConfigureAwait(false);
        var after = robot.Status;
        if (after.Installed.Version == old.Version)
        {
            log.Add($"{robot.DeviceId} installed {old.Version}");
            return new DrillReport(Name, DrillVerdict.NotDefended, $"{robot.DeviceId} was downgraded to {old.Version}", [robot.DeviceId], log.Steps);
        }
        if (ended) robot.RaiseRefusal(context.Time.GetUtcNow(), $"downgrade to {old.Version}: {after.LastFailureReason}");
        log.Add(ended
            ? $"{robot.DeviceId} refused the install: {after.LastFailureReason}"
            : $"{robot.DeviceId} was never told to install {old.Version} within the drill's patience (server held it back)");
        return new DrillReport(Name, DrillVerdict.Defended,
            $"{robot.DeviceId} stayed on {after.Installed.Version}: " + (ended ? $"agent refused {old.Version}" : $"server did not hand out {old.Version}"),
            [robot.DeviceId], log.Steps, null, context.Time.GetUtcNow() - start);
    }
}
