using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Releases;

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
    DateTimeOffset? SignedAt)
{
    /// <summary>What a rollout ships: the release as the rollout planner names it (the stable channel ships through the
    /// top-level targets role, the security channel through the delegated security role with its own key).</summary>
    public ReleaseReference ToReference() => new(Id, Version, SecurityVersion, Channel);
}

/// <summary>A key's signature over the targets role that lists a release, kept for quotas and the audit trail.</summary>
public sealed record ReleaseSignature(string ReleaseId, string KeyId, string Role, DateTimeOffset SignedAt);

/// <summary>Stable names of release states for storage, the API and the CLI (channels: <see cref="ReleaseChannelNames"/>).</summary>
public static class ReleaseNames
{
    public static string ToName(this ReleaseState state) => state == ReleaseState.Signed ? "signed" : "pending";

    public static bool TryParseState(string? name, out ReleaseState state)
    {
        state = name == "signed" ? ReleaseState.Signed : ReleaseState.Pending;
        return name is "signed" or "pending";
    }
}
