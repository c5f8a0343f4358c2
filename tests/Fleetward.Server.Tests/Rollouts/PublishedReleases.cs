using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>Puts releases into a store's release catalogue as the TUF repository would after publishing (and signing) them.</summary>
public static class PublishedReleases
{
    public static async Task<Release> PublishAsync(
        IFleetStore store, string id, string version, long securityVersion, ReleaseChannel channel = ReleaseChannel.Stable,
        IReadOnlyList<string>? hardwareIds = null, bool signed = true)
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var release = new Release(id, version, securityVersion, channel, $"{id}-{version}.img",
            channel == ReleaseChannel.Security ? "security" : "targets", hardwareIds ?? [], 1024,
            new string('a', 64), new string('b', 128), null, ReleaseState.Pending, at, "test", null, null);
        await using var work = await store.BeginAsync();
        Assert.True(await work.Releases.InsertAsync(release));
        if (signed)
        {
            await work.Releases.MarkSignedAsync([id], 1, at);
        }
        await work.CommitAsync();
        return release;
    }
}
