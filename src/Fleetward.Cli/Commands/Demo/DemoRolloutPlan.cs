using Fleetward.Core.Rollouts;
using Fleetward.Server.Rollouts;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// The rollouts of the story, sized for a demo: a canary ring of a few robots that soaks briefly, then a quarter of the
/// fleet, then everyone. Rings are percentages of cohort buckets, so in a small fleet "5 %" can hold no robot at all; the
/// canary's percentage is therefore chosen from the robots' own buckets (<see cref="RolloutCohort"/>, as the server
/// computes them) so that it holds exactly <see cref="CanarySize"/> robots whatever the fleet size.
/// </summary>
public static class DemoRolloutPlan
{
    /// <summary>How long the canary soaks before the next ring may open (the server's rollout worker then opens it).</summary>
    public const long CanarySoakSeconds = 5;

    public const long InstallTimeoutSeconds = 90;

    /// <summary>Canary robots: 5 % of the fleet, at least 3 so one sick robot is not the whole verdict.</summary>
    public static int CanarySize(int fleetSize) => Math.Clamp((int)Math.Round(fleetSize * 0.05), Math.Min(3, fleetSize), fleetSize);

    /// <summary>
    /// The smallest ring percentage (in the hundredths the server's buckets allow) whose ring holds the
    /// <paramref name="size"/> robots with the lowest buckets of this rollout.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="size"/> is not between 1 and the number of robots.</exception>
    public static decimal CanaryPercent(string rolloutId, IReadOnlyCollection<string> deviceIds, int size)
    {
        if (size < 1 || size > deviceIds.Count)
        {
            throw new ArgumentException($"canary size must be between 1 and the {deviceIds.Count} robot(s), got {size}.", nameof(size));
        }
        var cohort = new RolloutCohort(rolloutId);
        var buckets = deviceIds.Select(cohort.BucketOf).Order().ToList();
        // A device is in the ring when its bucket is below the ring's limit (percent x 100).
        return (buckets[size - 1] + 1) / 100m;
    }

    /// <summary>The good update: canary, a quarter, everyone; a tenth of finished robots failing aborts it.</summary>
    public static CreateRolloutRequest Staged(string rolloutId, PublishedDemoRelease release, IReadOnlyCollection<string> deviceIds)
    {
        var canary = CanaryPercent(rolloutId, deviceIds, CanarySize(deviceIds.Count));
        return new CreateRolloutRequest(
            Release(release),
            [
                new RingSpec(canary, CanarySoakSeconds, 100m),
                .. canary < 25m ? [new RingSpec(25m, 0, 95m)] : Array.Empty<RingSpec>(),
                // The last ring passes only when every robot succeeded: the story claims the whole fleet runs the update,
                // and a rollout that completes at 95 % leaves the robots that had not called in yet without an assignment.
                new RingSpec(100m, 0, 100m),
            ],
            rolloutId,
            new SelectionSpec(Model: DemoReleases.Model.Model),
            new ErrorThresholdSpec(FailedPercent: 10m, MinimumFinished: 5, Action: "abort"),
            InstallTimeoutSeconds: InstallTimeoutSeconds,
            MaxRetries: 0);
    }

    /// <summary>
    /// The faulty update: the same rings, and the health gate aborts it once half of the canary has failed, so it
    /// never reaches a robot outside the canary and the canary is ordered back.
    /// </summary>
    public static CreateRolloutRequest Gated(string rolloutId, PublishedDemoRelease release, IReadOnlyCollection<string> deviceIds)
    {
        var staged = Staged(rolloutId, release, deviceIds);
        var canarySize = CanarySize(deviceIds.Count);
        return staged with { ErrorThreshold = new ErrorThresholdSpec(FailedPercent: 50m, MinimumFinished: (canarySize + 1) / 2, Action: "abort") };
    }

    private static ReleaseSpec Release(PublishedDemoRelease release) =>
        new(release.Id);
}
