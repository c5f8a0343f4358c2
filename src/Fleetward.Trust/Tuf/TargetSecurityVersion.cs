using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// Fleetward's anti-rollback counter carried in a target's <c>custom.security_version</c>. TUF stops replays of old
/// metadata; this stops a validly signed but vulnerable old release from being installed over a fixed one, because the
/// device refuses any target whose security version is below the one it has installed.
/// </summary>
public static class TargetSecurityVersion
{
    public const string CustomField = "security_version";

    /// <summary>The target's security version; 0 when it declares none. Throws when the field is not a non-negative integer.</summary>
    public static long Read(TargetFileInfo target, string targetPath)
    {
        var node = target.Custom?[CustomField];
        if (node is null) return 0;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long version) && version >= 0)
            return version;
        if (node is JsonValue element && element.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) && v >= 0)
            return v;
        throw new TufMetadataFormatException($"signed.targets.{targetPath}.custom.{CustomField}", "must be a non-negative integer");
    }

    /// <summary>Refuses (with <see cref="TufTrustFailure.SecurityVersionRollback"/>) a target older than what is installed.</summary>
    public static void EnsureNotBelowInstalled(TargetFileInfo target, string targetPath, long installed)
    {
        var version = Read(target, targetPath);
        if (version < installed)
            throw new TufTrustException(TufTrustFailure.SecurityVersionRollback, targetPath,
                $"security version {version} is below the installed {installed}");
    }

    /// <summary>Custom fields declaring a security version, for publishing.</summary>
    public static JsonObject Custom(long securityVersion, JsonObject? other = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(securityVersion);
        var custom = other is null ? new JsonObject() : (JsonObject)other.DeepClone();
        custom[CustomField] = securityVersion;
        return custom;
    }
}
