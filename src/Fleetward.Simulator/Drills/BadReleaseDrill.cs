using Fleetward.Simulator.Behaviour;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// A release that breaks a share of the robots: on the chosen share of robots (picked deterministically from the
/// fleet seed) the post-update health check fails for <see cref="Version"/>. The drill starts a canary rollout of it
/// (a first ring of <see cref="CanaryPercent"/>, then everyone, aborting at <see cref="AbortAtFailedPercent"/> failed)
/// unless told not to. Defended when the rollout is halted before it reaches the whole fleet and every robot that
/// failed its health check is back on its previous slot.
/// </summary>
public sealed class BadReleaseDrill : IFleetDrill
{
    /// <summary>The release version that fails health checks; null picks the newest signed release.</summary>
    public string? Version { get; init; }

    /// <summary>Share of robots (0..1) on which the release fails its health check.</summary>
    public double FailingShare { get; init; } = 0.5;

    public decimal CanaryPercent { get; init; } = 10m;
    public decimal AbortAtFailedPercent { get; init; } = 20m;

    /// <summary>False when the caller runs the rollout itself and the drill only makes the release bad.</summary>
    public bool StartRollout { get; init; } = true;

    public string Name => "bad-release";

    public string Description => "A release fails its post-update health check on a share of robots; expect the canary rollout halted and the failed robots rolled back.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var releases = await context.Operator.ReleasesAsync(cancellationToken).ConfigureAwait(false);
        var release = Version is null ? releases.MaxBy(r => r.SecurityVersion) : releases.FirstOrDefault(r => r.Version == Version);
        if (release is null) return new DrillReport(Name, DrillVerdict.NotRun, $"no signed release {Version ?? "at all"}", [], log.Steps);

        var fleet = context.Fleet.Robots.Where(r => release.Hardware.Contains(r.Model) && r.Status.CertificateNotAfter is not null && !r.Status.Isolated).ToList();
        var noise = new SimulationNoise(context.Fleet.Options.Seed);
        var failing = fleet.Where(r => noise.Uniform(r.Body.Index, -1, 77) < FailingShare).ToList();
        foreach (var robot in failing)
        {
            robot.Body.Condition = robot.Body.Condition with
            {
                UnhealthyReleases = new HashSet<string>(robot.Body.Condition.UnhealthyReleases.Append(release.Version), StringComparer.Ordinal),
            };
        }
        log.Add($"{release.Version} fails its health check on {failing.Count} of {fleet.Count} robots");
        if (!StartRollout || fleet.Count == 0)
        {
            return new DrillReport(Name, fleet.Count == 0 ? DrillVerdict.NotRun : DrillVerdict.Defended,
                fleet.Count == 0 ? $"no enrolled robot runs hardware {string.Join(",", release.Hardware)}" : $"{release.Version} made bad on {failing.Count} robots; the caller runs the rollout",
                [.. failing.Select(r => r.DeviceId)], log.Steps);
        }

        // Which robots tried the release and how it ended for them, as their agents report it.
        var tried = new System.Collections.Concurrent.ConcurrentDictionary<string, FleetEventKind>(StringComparer.Ordinal);
        void Watch(FleetEvent change)
        {
            // Only the drill's rollout installs anything while it runs, so every failure or rollback is a try of the release.
            if ((change.Kind is FleetEventKind.InstallStarted or FleetEventKind.InstallSucceeded && change.Detail == release.Version)
                || change.Kind is FleetEventKind.RolledBack or FleetEventKind.InstallFailed)
                tried[change.DeviceId] = change.Kind;
        }
        var start = context.Time.GetUtcNow();
        context.Fleet.Progress.Changed += Watch;
        try
        {
            var rollout = await context.Operator.StartRolloutAsync(release, [.. fleet.Select(r => r.DeviceId)], [CanaryPercent, 100m], AbortAtFailedPercent, cancellationToken).ConfigureAwait(false);
            log.Add($"rollout {rollout}: canary {CanaryPercent}% then 100%, abort at {AbortAtFailedPercent}% failed");
            string status = "running";
            string? reason = null;
            await log.WaitUntilAsync(async ct =>
            {
                (status, reason) = await context.Operator.RolloutStatusAsync(rollout, ct).ConfigureAwait(false);
                return status is "aborted" or "paused" or "completed" or "cancelled";
            }, context.Fleet.Options.Intervals.CheckIn / 2, cancellationToken).ConfigureAwait(false);
            log.Add($"rollout {rollout} is {status}" + (reason is null ? "" : $": {reason}"));
            // Robots still on the bad release get a roll-back instruction on their next check-ins.
            await log.WaitUntilAsync(_ => Task.FromResult(fleet.All(r => r.Status.Installed.Version != release.Version || !failing.Contains(r))),
                context.Fleet.Options.Intervals.CheckIn / 2, cancellationToken).ConfigureAwait(false);
            return Verdict(release.Version, status, fleet, failing, tried, log, context.Time.GetUtcNow() - start);
        }
        finally
        {
            context.Fleet.Progress.Changed -= Watch;
        }
    }

    private DrillReport Verdict(string version, string status, List<VirtualRobot> fleet, List<VirtualRobot> failing,
        System.Collections.Concurrent.ConcurrentDictionary<string, FleetEventKind> tried, DrillLog log, TimeSpan elapsed)
    {
        var rolledBack = tried.Count(t => t.Value is FleetEventKind.RolledBack or FleetEventKind.InstallFailed);
        var onBad = fleet.Where(r => r.Status.Installed.Version == version).ToList();
        var stuck = onBad.Where(failing.Contains).ToList();
        log.Add($"{tried.Count} robots tried {version}, {rolledBack} of them failed their health check and went back; {onBad.Count} run it now, {stuck.Count} of them unhealthy");
        var halted = status is "aborted" or "paused";
        var defended = halted && stuck.Count == 0 && tried.Count < fleet.Count;
        return new DrillReport(Name, defended ? DrillVerdict.Defended : DrillVerdict.NotDefended,
            defended ? $"rollout of {version} {status} after {rolledBack} health-check failure(s) among {tried.Count} robot(s); {fleet.Count - tried.Count} never got it"
                     : $"rollout of {version} ended {status}; {tried.Count} of {fleet.Count} robots tried it, {stuck.Count} unhealthy robots still run it",
            [.. tried.Keys.Order(StringComparer.Ordinal)], log.Steps, null, elapsed);
    }
}
