namespace Fleetward.Core.Rollouts;

/// <summary>
/// Why a release is shipped. Security releases may bypass maintenance windows when the rollout's
/// maintenance policy allows it, because waiting for a window leaves a known hole open.
/// </summary>
public enum ReleaseChannel
{
    Stable,
    Security,
}

/// <summary>
/// The release a rollout ships. The server only names it; the device still verifies the image through
/// TUF, so this reference cannot make a device install anything unsigned or older.
/// </summary>
/// <param name="Id">Release id (the TUF target group the device fetches).</param>
/// <param name="Version">Version string the device reports once installed.</param>
/// <param name="SecurityVersion">Monotonic anti-downgrade counter of the image.</param>
public sealed record ReleaseReference(string Id, string Version, long SecurityVersion, ReleaseChannel Channel);

/// <summary>Stable text names of channels, as stored and as shown in the API.</summary>
public static class ReleaseChannelNames
{
    public static string ToName(this ReleaseChannel channel) => channel switch
    {
        ReleaseChannel.Stable => "stable",
        ReleaseChannel.Security => "security",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    public static bool TryParse(string? name, out ReleaseChannel channel)
    {
        switch (name)
        {
            case "stable": channel = ReleaseChannel.Stable; return true;
            case "security": channel = ReleaseChannel.Security; return true;
            default: channel = default; return false;
        }
    }
}
