using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>The timestamp role (TUF spec 4.6): short-lived, names the current snapshot so clients notice freezes quickly.</summary>
public sealed record TimestampMetadata : TufRoleMetadata, ITufRoleParser<TimestampMetadata>
{
    public const string SnapshotFileName = "snapshot.json";

    public static string Type => TufRoles.Timestamp;
    public override string RoleType => Type;

    public required MetaFileInfo SnapshotMeta { get; init; }

    public static TimestampMetadata FromJson(JsonObject signed)
    {
        var (version, expires, specVersion) = ReadCommon(signed, Type);
        var meta = JsonFields.Object(signed["meta"], "signed.meta");
        if (meta.Count != 1 || meta[SnapshotFileName] is null)
            throw new TufMetadataFormatException("signed.meta", $"must hold exactly \"{SnapshotFileName}\"");
        return new TimestampMetadata
        {
            Version = version, Expires = expires, SpecVersion = specVersion,
            SnapshotMeta = MetaFileInfo.Parse(meta[SnapshotFileName], $"signed.meta.{SnapshotFileName}"),
        };
    }

    protected override void WriteFields(JsonObject json) =>
        json["meta"] = new JsonObject { [SnapshotFileName] = SnapshotMeta.ToJson() };
}
