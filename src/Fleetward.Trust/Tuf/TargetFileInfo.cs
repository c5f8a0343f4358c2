using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// One target as targets metadata describes it (TUF spec 4.5 TARGETS): its exact length and hashes, which are all a
/// client needs to refuse a tampered or endless download, and opaque <c>custom</c> fields for the application.
/// </summary>
public sealed record TargetFileInfo
{
    public required long Length { get; init; }
    public required IReadOnlyDictionary<string, string> Hashes { get; init; }
    public JsonObject? Custom { get; init; }

    internal static TargetFileInfo Parse(JsonNode? node, string field)
    {
        var obj = JsonFields.Object(node, field);
        return new TargetFileInfo
        {
            Length = JsonFields.Integer(obj["length"], field + ".length", 0),
            Hashes = JsonFields.Hashes(obj["hashes"], field + ".hashes"),
            Custom = JsonFields.OptionalObject(obj, "custom", field) is { } custom ? (JsonObject)custom.DeepClone() : null,
        };
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject { ["length"] = Length, ["hashes"] = JsonFields.HashesToJson(Hashes) };
        if (Custom is not null) obj["custom"] = Custom.DeepClone();
        return obj;
    }
}
