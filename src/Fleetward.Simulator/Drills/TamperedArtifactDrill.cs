using Fleetward.Agent.Identity;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Tuf;
using Fleetward.Simulator.Operator;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// A malicious mirror (or anyone on the path) serves a robot the right metadata but a modified artifact of a signed
/// release. The robot's TUF client (the agent's <see cref="TufUpdater"/> over a copy of the robot's own trusted
/// metadata) fetches from it. Defended when the client refuses the artifact (TUF spec 5.7.3: length and hashes from
/// trusted targets metadata). The robot's running agent is not involved: its own downloads go to the real server.
/// </summary>
public sealed class TamperedArtifactDrill : IFleetDrill
{
    public string Name => "tampered-artifact";

    public string Description => "A malicious mirror serves a modified artifact of a signed release; expect the robot's TUF client to refuse it.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var releases = await context.Operator.ReleasesAsync(cancellationToken).ConfigureAwait(false);
        var robot = log.PickTarget(r => releases.Any(rel => rel.Hardware.Contains(r.Model)));
        var release = robot is null ? null : releases.Where(r => r.Hardware.Contains(robot.Model)).MaxBy(r => r.SecurityVersion);
        if (robot is null || release is null)
            return new DrillReport(Name, DrillVerdict.NotRun, "no signed release for any enrolled robot's hardware", [], log.Steps);

        var verdict = await FetchThroughMirrorAsync(context, robot, release, log, cancellationToken).ConfigureAwait(false);
        if (verdict is not null) return verdict;

        robot.RaiseRefusal(context.Time.GetUtcNow(), $"tampered artifact of {release.Version} refused by the TUF client");
        return new DrillReport(Name, DrillVerdict.Defended, $"tampered {release.Version} refused by {robot.DeviceId}'s TUF client",
            [robot.DeviceId], log.Steps);
    }

    /// <summary>Null when the client refused the tampered artifact (as it must), else the failing report.</summary>
    private async Task<DrillReport?> FetchThroughMirrorAsync(DrillContext context, VirtualRobot robot, ReleaseInfo release, DrillLog log, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("fleetward-drill-mirror-");
        try
        {
            // A copy of the robot's trusted metadata: the drill must not move the robot's own TUF state.
            var trusted = Path.Combine(robot.StateDirectory, "tuf");
            var copy = Path.Combine(scratch.FullName, "tuf");
            Directory.CreateDirectory(copy);
            if (Directory.Exists(trusted))
            {
                foreach (var file in Directory.EnumerateFiles(trusted)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            var store = new TufMetadataDirectory(copy);
            if (store.Read(TufRoles.Root) is null) TufUpdater.Initialize(store, context.Fleet.Options.TufRoot, context.Time.GetUtcNow());

            using var credentials = RobotCredentials.Load(robot);
            using var http = DeviceTlsClient.Create(context.Fleet.Options.DeviceListener, context.Fleet.Options.FleetRoot, credentials);
            var server = new HttpTufRepositoryFetcher(http, new Uri(context.Fleet.Options.DeviceListener, "tuf/metadata/"), new Uri(context.Fleet.Options.DeviceListener, "tuf/targets/"));
            var updater = new TufUpdater(store, new MaliciousMirror(server), context.Time);
            await updater.RefreshAsync(cancellationToken).ConfigureAwait(false);
            var target = await updater.FindTargetAsync(release.TargetPath, cancellationToken).ConfigureAwait(false);
            log.Add($"{robot.DeviceId} asks the mirror for {release.TargetPath} ({release.Version}); the mirror flips bytes in it");
            try
            {
                await updater.DownloadTargetAsync(target, Path.Combine(scratch.FullName, "downloads"), cancellationToken).ConfigureAwait(false);
            }
            catch (TufTrustException refused)
            {
                log.Add($"TUF client refused the artifact: {refused.Message}");
                return null;
            }
            log.Add("TUF client accepted the tampered artifact");
            return new DrillReport(Name, DrillVerdict.NotDefended, $"{robot.DeviceId} accepted a tampered {release.Version}", [robot.DeviceId], log.Steps);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Passes metadata through untouched and flips one byte in every artifact, keeping its length.</summary>
    private sealed class MaliciousMirror(ITufRepositoryFetcher upstream) : ITufRepositoryFetcher
    {
        public Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken) => upstream.OpenMetadataAsync(fileName, cancellationToken);

        public async Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken)
        {
            await using var original = await upstream.OpenTargetAsync(repositoryPath, cancellationToken).ConfigureAwait(false);
            if (original is null) return null;
            var tampered = new MemoryStream();
            await original.CopyToAsync(tampered, cancellationToken).ConfigureAwait(false);
            if (tampered.Length > 0)
            {
                var bytes = tampered.GetBuffer();
                bytes[tampered.Length / 2] ^= 0x5A;
            }
            tampered.Position = 0;
            return tampered;
        }
    }
}
