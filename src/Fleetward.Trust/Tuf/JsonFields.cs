using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>Strict readers for metadata fields: every failure names the JSON path of the field.</summary>
internal static class JsonFields
{
    public const string ExpiresFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static JsonObject Object(JsonNode? node, string field) =>
        node as JsonObject ?? throw new TufMetadataFormatException(field, node is null ? "is required" : "must be an object");

    public static JsonObject? OptionalObject(JsonObject parent, string name, string field) =>
        parent[name] is null ? null : Object(parent[name], $"{field}.{name}");

    public static JsonArray Array(JsonNode? node, string field) =>
        node as JsonArray ?? throw new TufMetadataFormatException(field, node is null ? "is required" : "must be an array");

    public static string String(JsonNode? node, string field)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String) return value.GetValue<string>();
        throw new TufMetadataFormatException(field, node is null ? "is required" : "must be a string");
    }

    public static bool Bool(JsonNode? node, string field)
    {
        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return value.GetValue<bool>();
        throw new TufMetadataFormatException(field, node is null ? "is required" : "must be a boolean");
    }

    public static long Integer(JsonNode? node, string field, long minimum)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
            throw new TufMetadataFormatException(field, node is null ? "is required" : "must be an integer");
        long result;
        if (value.TryGetValue(out JsonElement element))
        {
            if (!element.TryGetInt64(out result)) throw new TufMetadataFormatException(field, "must be an integer");
        }
        else if (!value.TryGetValue(out result))
        {
            throw new TufMetadataFormatException(field, "must be an integer");
        }
        if (result < minimum) throw new TufMetadataFormatException(field, $"must be at least {minimum}");
        return result;
    }

    public static int Int32(JsonNode? node, string field, int minimum)
    {
        var value = Integer(node, field, minimum);
        if (value > int.MaxValue) throw new TufMetadataFormatException(field, "is too large");
        return (int)value;
    }

    public static DateTimeOffset Expires(JsonNode? node, string field)
    {
        var text = String(node, field);
        // TUF spec 4.3: "expires" is YYYY-MM-DDTHH:MM:SSZ.
        if (!DateTimeOffset.TryParseExact(text, ExpiresFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expires))
            throw new TufMetadataFormatException(field, "must be a UTC time formatted YYYY-MM-DDTHH:MM:SSZ");
        return expires;
    }

    public static string FormatExpires(DateTimeOffset expires) =>
        expires.ToUniversalTime().ToString(ExpiresFormat, CultureInfo.InvariantCulture);

    public static IReadOnlyDictionary<string, string> Hashes(JsonNode? node, string field)
    {
        var obj = Object(node, field);
        if (obj.Count == 0) throw new TufMetadataFormatException(field, "must list at least one hash");
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (algorithm, digest) in obj)
        {
            var hex = String(digest, $"{field}.{algorithm}");
            if (hex.Length == 0 || hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
                throw new TufMetadataFormatException($"{field}.{algorithm}", "must be a hex digest");
            hashes[algorithm] = hex.ToLowerInvariant();
        }
        return hashes;
    }

    public static IReadOnlyList<string> UniqueStrings(JsonNode? node, string field)
    {
        var array = Array(node, field);
        var result = new List<string>(array.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var item = String(array[i], $"{field}[{i}]");
            if (!seen.Add(item)) throw new TufMetadataFormatException($"{field}[{i}]", $"repeats \"{item}\"");
            result.Add(item);
        }
        return result;
    }

    public static JsonObject HashesToJson(IReadOnlyDictionary<string, string> hashes)
    {
        var obj = new JsonObject();
        foreach (var (algorithm, digest) in hashes) obj[algorithm] = digest;
        return obj;
    }

    public static JsonArray StringsToJson(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
