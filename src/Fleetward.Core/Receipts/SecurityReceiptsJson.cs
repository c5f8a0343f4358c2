using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleetward.Trust.Canonical;

namespace Fleetward.Core.Receipts;

/// <summary>
/// The one JSON form of a receipt, served by GET /api/v1/receipts and signed (canonically) inside the DSSE envelope.
/// Values are exact decimal strings, because OLPC canonical JSON has integers only; counts are integers; instants are
/// RFC 3339 UTC with milliseconds.
/// </summary>
public static class SecurityReceiptsJson
{
    /// <summary>Names the document's shape; a verifier refuses any other.</summary>
    public const string Schema = "fleetward.security-receipts.v1";

    public static JsonObject ToJson(SecurityReceipts receipts)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        var figures = new JsonArray();
        foreach (var f in receipts.Figures)
        {
            figures.Add(new JsonObject
            {
                ["id"] = f.Id,
                ["title"] = f.Title,
                ["definition"] = f.Definition,
                ["unit"] = f.Unit.ToName(),
                ["scope"] = f.Scope.ToName(),
                ["value"] = f.Value?.ToString(CultureInfo.InvariantCulture),
                ["numerator"] = f.Numerator,
                ["numeratorLabel"] = f.NumeratorLabel,
                ["denominator"] = f.Denominator,
                ["denominatorLabel"] = f.DenominatorLabel,
                ["reason"] = f.Reason,
                ["detail"] = f.Detail,
            });
        }
        var a = receipts.Audit;
        return new JsonObject
        {
            ["schema"] = Schema,
            ["server"] = receipts.Server,
            ["generatedAt"] = Instant(receipts.GeneratedAt),
            ["window"] = new JsonObject { ["start"] = Instant(receipts.WindowStart), ["end"] = Instant(receipts.WindowEnd) },
            ["figures"] = figures,
            ["audit"] = new JsonObject
            {
                ["logSize"] = a.LogSize,
                ["checkpointTreeSize"] = a.CheckpointTreeSize,
                ["checkpointRootHash"] = a.CheckpointRootHashHex,
                ["checkpointCreatedAt"] = a.CheckpointCreatedAt is { } at ? Instant(at) : null,
                // Base64, because a signed note has line breaks and OLPC canonical JSON leaves control characters unescaped.
                ["checkpointNoteBase64"] = a.CheckpointNote is { } note ? Convert.ToBase64String(Encoding.UTF8.GetBytes(note)) : null,
                ["checkpointVerified"] = a.CheckpointVerified,
                ["checkpointDetail"] = a.CheckpointDetail,
            },
        };
    }

    /// <summary>The canonical bytes (OLPC canonical JSON) that the envelope signs.</summary>
    public static byte[] ToCanonicalBytes(SecurityReceipts receipts) => CanonicalJson.Serialize(ToJson(receipts));

    /// <summary>Reads a receipt back; a missing or mistyped member is a <see cref="FormatException"/> naming it.</summary>
    public static SecurityReceipts Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new FormatException($"receipt: not JSON ({e.Message})");
        }
        if (node is not JsonObject root)
        {
            throw new FormatException("receipt: not a JSON object");
        }
        if (Text(root, "schema", "receipt") != Schema)
        {
            throw new FormatException($"receipt.schema: expected '{Schema}'");
        }
        var window = Object(root, "window", "receipt");
        var figures = new List<ReceiptFigure>();
        var list = root["figures"] as JsonArray ?? throw new FormatException("receipt.figures: missing or not an array");
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"receipt.figures[{i}]";
            var f = list[i] as JsonObject ?? throw new FormatException($"{path}: not an object");
            if (!ReceiptNames.TryParseUnit(Text(f, "unit", path), out var unit)) throw new FormatException($"{path}.unit: unknown unit");
            if (!ReceiptNames.TryParseScope(Text(f, "scope", path), out var scope)) throw new FormatException($"{path}.scope: unknown scope");
            var valueText = OptionalText(f, "value", path);
            decimal? value = null;
            if (valueText is not null)
            {
                value = decimal.TryParse(valueText, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw new FormatException($"{path}.value: not a decimal number");
            }
            figures.Add(new ReceiptFigure(Text(f, "id", path), Text(f, "title", path), Text(f, "definition", path), unit, scope, value,
                OptionalLong(f, "numerator", path), OptionalText(f, "numeratorLabel", path),
                OptionalLong(f, "denominator", path), OptionalText(f, "denominatorLabel", path),
                OptionalText(f, "reason", path), OptionalText(f, "detail", path)));
        }
        var audit = Object(root, "audit", "receipt");
        var createdAt = OptionalText(audit, "checkpointCreatedAt", "receipt.audit");
        var anchor = new ReceiptAuditAnchor(
            OptionalLong(audit, "logSize", "receipt.audit") ?? throw new FormatException("receipt.audit.logSize: missing"),
            OptionalLong(audit, "checkpointTreeSize", "receipt.audit"),
            OptionalText(audit, "checkpointRootHash", "receipt.audit"),
            createdAt is null ? null : ParseInstant(createdAt, "receipt.audit.checkpointCreatedAt"),
            NoteText(OptionalText(audit, "checkpointNoteBase64", "receipt.audit")),
            audit["checkpointVerified"] is JsonValue verified && verified.TryGetValue<bool>(out var flag)
                ? flag
                : throw new FormatException("receipt.audit.checkpointVerified: missing or not a boolean"),
            Text(audit, "checkpointDetail", "receipt.audit"));
        return new SecurityReceipts(Text(root, "server", "receipt"),
            ParseInstant(Text(root, "generatedAt", "receipt"), "receipt.generatedAt"),
            ParseInstant(Text(window, "start", "receipt.window"), "receipt.window.start"),
            ParseInstant(Text(window, "end", "receipt.window"), "receipt.window.end"),
            figures, anchor);
    }

    private static string? NoteText(string? base64)
    {
        if (base64 is null) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new FormatException("receipt.audit.checkpointNoteBase64: not base64");
        }
    }

    private static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseInstant(string text, string path) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new FormatException($"{path}: not an RFC 3339 UTC instant with milliseconds");

    private static JsonObject Object(JsonObject parent, string name, string path) =>
        parent[name] as JsonObject ?? throw new FormatException($"{path}.{name}: missing or not an object");

    private static string Text(JsonObject parent, string name, string path) =>
        OptionalText(parent, name, path) ?? throw new FormatException($"{path}.{name}: missing");

    private static string? OptionalText(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new FormatException($"{path}.{name}: not a string"),
    };

    private static long? OptionalLong(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new FormatException($"{path}.{name}: not an integer"),
    };
}
