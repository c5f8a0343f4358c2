using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// What timestamp says about snapshot, and snapshot about each targets role (TUF spec 4.4 METAFILES): the version, and
/// optionally length and hashes so a client can refuse a swapped file before parsing it.
/// </summary>
public sealed record MetaFileInfo
{
    public required long Version { get; init; }
    public long? Length { get; init; }
    public IReadOnlyDictionary<string, string>? Hashes { get; init; }

    internal static MetaFileInfo Parse(JsonNode? node, string field)
    {
        var obj = JsonFields.Object(node, field);
        return new MetaFileInfo
        {
            Version = JsonFields.Integer(obj["version"], field + ".version", 1),
            Length = obj["length"] is null ? null : JsonFields.Integer(obj["length"], field + ".length", 0),
            Hashes = obj["hashes"] is null ? null : JsonFields.Hashes(obj["hashes"], field + ".hashes"),
        };
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject { ["version"] = Version };
        if (Length is { } length) obj["length"] = length;
        if (Hashes is not null) obj["hashes"] = JsonFields.HashesToJson(Hashes);
        return obj;
    }
}
