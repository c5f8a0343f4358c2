namespace Fleetward.Core.Releases;

/// <summary>
/// The feature channel ships through the top-level targets role; the security channel through a delegated role with
/// its own key, so a security patch can be signed and shipped without the feature release signers.
/// </summary>
public enum ReleaseChannel
{
    Stable,
    Security,
}

/// <summary>Pending: stored and listed in a draft, waiting for the targets signature. Signed: clients can see it.</summary>
public enum ReleaseState
{
    Pending,
    Signed,
}

/// <summary>
/// One published firmware artifact: its TUF target (path, length, hashes) and what devices and rollouts decide on.
/// <see cref="SecurityVersion"/> is the monotonic anti-rollback counter devices compare with what they installed.
/// </summary>
public sealed record Release(
    string Id,
    string Version,
    long SecurityVersion,
    ReleaseChannel Channel,
    string TargetPath,
    string TargetsRole,
    IReadOnlyList<string> HardwareIds,
    long Length,
    string Sha256,
    string Sha512,
    string? SbomSha256,
    ReleaseState State,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    long? TargetsVersion,
    DateTimeOffset? SignedAt);

/// <summary>A key's signature over the targets role that lists a release, kept for quotas and the audit trail.</summary>
public sealed record ReleaseSignature(string ReleaseId, string KeyId, string Role, DateTimeOffset SignedAt);

/// <summary>Stable names of channels and states for storage, the API and the CLI.</summary>
public static class ReleaseNames
{
    public static string ToName(this ReleaseChannel channel) => channel switch
    {
        ReleaseChannel.Stable => "stable",
        ReleaseChannel.Security => "security",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    public static string ToName(this ReleaseState state) => state == ReleaseState.Signed ? "signed" : "pending";

    public static bool TryParseChannel(string? name, out ReleaseChannel channel)
    {
        channel = name switch { "security" => ReleaseChannel.Security, _ => ReleaseChannel.Stable };
        return name is "stable" or "security";
    }

    public static bool TryParseState(string? name, out ReleaseState state)
    {
        state = name == "signed" ? ReleaseState.Signed : ReleaseState.Pending;
        return name is "signed" or "pending";
    }
}
