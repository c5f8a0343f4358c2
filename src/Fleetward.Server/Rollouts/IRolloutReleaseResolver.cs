using Fleetward.Core.Rollouts;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Turns the release named in a rollout request into the reference the rollout ships. The TUF release catalogue
/// replaces <see cref="RequestReleaseResolver"/> with one that looks the release up (and refuses unknown ones).
/// </summary>
public interface IRolloutReleaseResolver
{
    /// <exception cref="ProblemException">The release is unknown or incompletely described; the problem names the field.</exception>
    Task<ReleaseReference> ResolveAsync(ReleaseSpec release, CancellationToken cancellationToken);
}

/// <summary>Takes the release exactly as the request describes it; version and security version are then required.</summary>
public sealed class RequestReleaseResolver : IRolloutReleaseResolver
{
    public Task<ReleaseReference> ResolveAsync(ReleaseSpec release, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(release.Version))
        {
            throw ProblemException.Validation("$.release.version", "release.version is required.");
        }
        if (release.SecurityVersion is not { } securityVersion)
        {
            throw ProblemException.Validation("$.release.securityVersion", "release.securityVersion is required.");
        }
        var channelName = release.Channel ?? "stable";
        if (!ReleaseChannelNames.TryParse(channelName, out var channel))
        {
            throw ProblemException.Validation("$.release.channel", $"release.channel must be stable or security; got '{channelName}'.");
        }
        return Task.FromResult(new ReleaseReference(release.Id, release.Version, securityVersion, channel));
    }
}
