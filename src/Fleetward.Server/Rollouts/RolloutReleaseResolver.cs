using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Finds the release a rollout ships in the TUF release catalogue, so a rollout can only name a target that
/// devices will actually find signed in the repository. The request only says which release (by id, or by version
/// and channel); its security version and channel come from the catalogue. Refusals name the request field.
/// </summary>
public static class RolloutReleaseResolver
{
    /// <exception cref="ProblemException">Unknown, unsigned, built for other hardware, or older than what the selection runs.</exception>
    public static async Task<ReleaseReference> ResolveAsync(IReleaseCatalog catalog, ReleaseSpec? spec, DeviceSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(selection);
        var release = await FindAsync(catalog, spec, cancellationToken);
        var field = string.IsNullOrWhiteSpace(spec!.Id) ? "$.release.version" : "$.release.id";
        if (release.State != ReleaseState.Signed)
        {
            throw ProblemException.Validation(field, $"release '{release.Id}' is not signed yet: devices would not find it in the repository; sign its targets role first.");
        }

        // A release names the hardware it is built for (TUF custom hardwareIds); empty means any model.
        if (release.HardwareIds.Count > 0)
        {
            if (selection.Model is null)
            {
                throw ProblemException.Validation("$.selection.model",
                    $"release '{release.Id}' is built for {string.Join(", ", release.HardwareIds)}; the selection must name one of these models.");
            }
            if (!release.HardwareIds.Contains(selection.Model, StringComparer.Ordinal))
            {
                throw ProblemException.Validation("$.selection.model",
                    $"release '{release.Id}' is built for {string.Join(", ", release.HardwareIds)}, not for model '{selection.Model}'.");
            }
        }

        // Anti-rollback: devices refuse an image whose security version is below the one they installed, so a
        // rollout of a release superseded by a newer signed one for the same hardware could only fail.
        var signed = await catalog.ListAsync(state: ReleaseState.Signed, cancellationToken: cancellationToken);
        var newer = signed
            .Where(r => r.SecurityVersion > release.SecurityVersion && SharesHardware(r, release))
            .OrderByDescending(r => r.SecurityVersion)
            .FirstOrDefault();
        if (newer is not null)
        {
            throw ProblemException.Validation(field,
                $"release '{release.Id}' (security version {release.SecurityVersion}) is older than signed release '{newer.Id}' (security version {newer.SecurityVersion}) for the same hardware; devices that installed it would refuse the downgrade.");
        }

        for (var i = 0; i < selection.CurrentVersions.Count; i++)
        {
            if (string.IsNullOrEmpty(selection.CurrentVersions[i]))
            {
                continue; // the definition's validation names an empty entry
            }
            foreach (var channel in Enum.GetValues<ReleaseChannel>())
            {
                var current = await catalog.FindByVersionAsync(selection.CurrentVersions[i], channel, cancellationToken);
                if (current is not null && current.SecurityVersion > release.SecurityVersion && SharesHardware(current, release))
                {
                    throw ProblemException.Validation($"$.selection.currentVersions[{i}]",
                        $"devices on {current.Version} run security version {current.SecurityVersion}; release '{release.Id}' has {release.SecurityVersion} and would be refused as a downgrade.");
                }
            }
        }
        return release.ToReference();
    }

    private static async Task<Release> FindAsync(IReleaseCatalog catalog, ReleaseSpec? spec, CancellationToken cancellationToken)
    {
        if (spec is null)
        {
            throw ProblemException.Validation("$.release", "release is required: give its id, or its version (and channel).");
        }
        ReleaseChannel? channel = null;
        if (spec.Channel is not null)
        {
            if (!ReleaseChannelNames.TryParse(spec.Channel, out var parsed))
            {
                throw ProblemException.Validation("$.release.channel", $"release.channel must be stable or security; got '{spec.Channel}'.");
            }
            channel = parsed;
        }

        if (!string.IsNullOrWhiteSpace(spec.Id))
        {
            var byId = await catalog.GetAsync(spec.Id, cancellationToken)
                ?? throw ProblemException.Validation("$.release.id", $"no release '{spec.Id}' is published in the release catalogue.");
            if (spec.Version is not null && spec.Version != byId.Version)
            {
                throw ProblemException.Validation("$.release.version", $"release '{spec.Id}' is version {byId.Version}, not {spec.Version}.");
            }
            if (channel is { } c && c != byId.Channel)
            {
                throw ProblemException.Validation("$.release.channel", $"release '{spec.Id}' is on the {byId.Channel.ToName()} channel, not {c.ToName()}.");
            }
            return byId;
        }

        if (string.IsNullOrWhiteSpace(spec.Version))
        {
            throw ProblemException.Validation("$.release.id", "release.id or release.version is required.");
        }
        var wanted = channel ?? ReleaseChannel.Stable;
        return await catalog.FindByVersionAsync(spec.Version, wanted, cancellationToken)
            ?? throw ProblemException.Validation("$.release.version", $"no release of version {spec.Version} is published on the {wanted.ToName()} channel.");
    }

    private static bool SharesHardware(Release a, Release b) =>
        a.HardwareIds.Count == 0 || b.HardwareIds.Count == 0 || a.HardwareIds.Intersect(b.HardwareIds, StringComparer.Ordinal).Any();
}
