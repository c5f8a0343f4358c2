using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>Names of the four top-level roles (TUF spec 2.1) and the file names the spec gives their metadata.</summary>
public static class TufRoles
{
    public const string Root = "root";
    public const string Timestamp = "timestamp";
    public const string Snapshot = "snapshot";
    public const string Targets = "targets";

    public static readonly IReadOnlyList<string> TopLevel = [Root, Timestamp, Snapshot, Targets];

    public static bool IsTopLevel(string role) => TopLevel.Contains(role, StringComparer.Ordinal);

    /// <summary>File name of a role's metadata, versioned (<c>N.ROLE.json</c>) when consistent snapshots are on (TUF spec 5.5.1, 5.6.1).</summary>
    public static string FileName(string role, long? version) => version is { } v ? $"{v}.{role}.json" : $"{role}.json";
}

/// <summary>
/// The fields every TUF role's <c>signed</c> object shares (TUF spec 4.3). Concrete roles are immutable records so a
/// repository changes them with <c>with</c> expressions and re-signs.
/// </summary>
public abstract record TufRoleMetadata
{
    /// <summary>The specification version Fleetward writes; readers accept any 1.x (TUF spec 4.3 "spec_version").</summary>
    public const string SupportedSpecVersion = "1.0.31";

    public required long Version { get; init; }
    public required DateTimeOffset Expires { get; init; }
    public string SpecVersion { get; init; } = SupportedSpecVersion;

    /// <summary>The value of <c>_type</c>.</summary>
    public abstract string RoleType { get; }

    /// <summary>TUF spec 5.4.4 and friends: metadata is expired once the reference time reaches "expires".</summary>
    public bool IsExpired(DateTimeOffset now) => now >= Expires;

    /// <summary>The <c>signed</c> object as JSON.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["_type"] = RoleType,
            ["spec_version"] = SpecVersion,
            ["version"] = Version,
            ["expires"] = JsonFields.FormatExpires(Expires),
        };
        WriteFields(json);
        return json;
    }

    protected abstract void WriteFields(JsonObject json);

    /// <summary>Reads the common fields and checks <c>_type</c> and the major spec version.</summary>
    protected static (long Version, DateTimeOffset Expires, string SpecVersion) ReadCommon(JsonObject json, string expectedType)
    {
        var type = JsonFields.String(json["_type"], "signed._type");
        if (type != expectedType) throw new TufMetadataFormatException("signed._type", $"is \"{type}\", expected \"{expectedType}\"");
        var specVersion = JsonFields.String(json["spec_version"], "signed.spec_version");
        var parts = specVersion.Split('.');
        // TUF spec 4.3: clients refuse metadata of a major spec version they do not implement.
        if (parts.Length is < 2 or > 3 || parts[0] != "1" || !parts.Skip(1).All(p => p.Length > 0 && p.All(char.IsAsciiDigit)))
            throw new TufMetadataFormatException("signed.spec_version", $"\"{specVersion}\" is not a supported 1.x version");
        return (JsonFields.Integer(json["version"], "signed.version", 1),
            JsonFields.Expires(json["expires"], "signed.expires"),
            specVersion);
    }
}

/// <summary>Static parsing hook so <see cref="SignedMetadata{T}"/> can parse any role generically.</summary>
public interface ITufRoleParser<TSelf> where TSelf : TufRoleMetadata
{
    static abstract string Type { get; }
    static abstract TSelf FromJson(JsonObject signed);
}
