using System.Text.Json.Nodes;
using Fleetward.Core.Releases;
using Fleetward.Trust.Tuf;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Updates;

/// <summary>How a release appears in TUF targets metadata: its path, role and custom fields.</summary>
public static class ReleaseTarget
{
    /// <summary>The delegated targets role of the security channel.</summary>
    public const string SecurityRole = "security";

    /// <summary>The security role is delegated these paths only (TUF spec 4.5 "paths": one pattern per segment).</summary>
    public static readonly IReadOnlyList<string> SecurityPaths = ["security/*/*"];

    public static string RoleFor(ReleaseChannel channel) => channel == ReleaseChannel.Security ? SecurityRole : TufRoles.Targets;

    /// <summary><c>CHANNEL/VERSION/FILE</c>: the channel prefix is what the security delegation's path pattern matches.</summary>
    public static string PathFor(ReleaseChannel channel, string version, string fileName) => $"{channel.ToName()}/{version}/{fileName}";

    /// <summary>
    /// The target entry: length, sha256 and sha512, and custom fields devices and tools read: <c>version</c>,
    /// <c>security_version</c> (the anti-rollback counter), <c>hardware_ids</c>, <c>channel</c>, <c>sbom_sha256</c> when an
    /// SBOM was given, and <c>expected_boot_measurements</c>, reserved for attestation (empty until measured boot lands).
    /// </summary>
    public static TargetFileInfo Describe(Release release)
    {
        var custom = new JsonObject
        {
            ["release_id"] = release.Id,
            ["version"] = release.Version,
            ["channel"] = release.Channel.ToName(),
            ["hardware_ids"] = new JsonArray([.. release.HardwareIds.Select(h => (JsonNode)JsonValue.Create(h)!)]),
            ["expected_boot_measurements"] = new JsonObject(),
        };
        if (release.SbomSha256 is not null) custom["sbom_sha256"] = release.SbomSha256;
        return new TargetFileInfo
        {
            Length = release.Length,
            Hashes = new Dictionary<string, string>(StringComparer.Ordinal) { ["sha256"] = release.Sha256, ["sha512"] = release.Sha512 },
            Custom = TargetSecurityVersion.Custom(release.SecurityVersion, custom),
        };
    }
}
