using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>The snapshot role (TUF spec 4.4): the versions of every targets metadata file, so a client sees one consistent repository state.</summary>
public sealed record SnapshotMetadata : TufRoleMetadata, ITufRoleParser<SnapshotMetadata>
{
    public static string Type => TufRoles.Snapshot;
    public override string RoleType => Type;

    /// <summary>Keyed by file name, <c>ROLE.json</c>.</summary>
    public required IReadOnlyDictionary<string, MetaFileInfo> Meta { get; init; }

    /// <summary>The entry for a targets role, or null if snapshot does not list it.</summary>
    public MetaFileInfo? ForRole(string role) => Meta.GetValueOrDefault(role + ".json");

    public static SnapshotMetadata FromJson(JsonObject signed)
    {
        var (version, expires, specVersion) = ReadCommon(signed, Type);
        var metaJson = JsonFields.Object(signed["meta"], "signed.meta");
        var meta = new Dictionary<string, MetaFileInfo>(StringComparer.Ordinal);
        foreach (var (name, node) in metaJson) meta[name] = MetaFileInfo.Parse(node, $"signed.meta.{name}");
        return new SnapshotMetadata { Version = version, Expires = expires, SpecVersion = specVersion, Meta = meta };
    }

    protected override void WriteFields(JsonObject json)
    {
        var meta = new JsonObject();
        foreach (var (name, info) in Meta) meta[name] = info.ToJson();
        json["meta"] = meta;
    }
}
