using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Trust.Canonical;

/// <summary>
/// OLPC canonical JSON as TUF (spec 4.2 "canonical-json") and securesystemslib/tuf-js use it: signatures are made over
/// these exact bytes, so every implementation must produce the same serialization of the same document.
/// </summary>
/// <remarks>
/// Rules: objects sorted by key (ordinal, as tuf-js sorts), no insignificant whitespace, strings emitted as UTF-8 with only
/// <c>"</c> and <c>\</c> escaped, integers only (floating point numbers are not representable and are refused).
/// </remarks>
public static class CanonicalJson
{
    /// <summary>Serializes a JSON tree canonically. Throws <see cref="CanonicalJsonException"/> for values OLPC cannot express.</summary>
    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new MemoryStream();
        Write(buffer, node, "$");
        return buffer.ToArray();
    }

    /// <summary>Parses JSON text and re-serializes it canonically.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json) => Serialize(JsonNode.Parse(json));

    private static void Write(Stream output, JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                WriteAscii(output, "null");
                break;
            case JsonObject obj:
                output.WriteByte((byte)'{');
                var first = true;
                foreach (var property in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) output.WriteByte((byte)',');
                    first = false;
                    WriteString(output, property.Key);
                    output.WriteByte((byte)':');
                    Write(output, property.Value, path + "." + property.Key);
                }
                output.WriteByte((byte)'}');
                break;
            case JsonArray array:
                output.WriteByte((byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) output.WriteByte((byte)',');
                    Write(output, array[i], $"{path}[{i}]");
                }
                output.WriteByte((byte)']');
                break;
            case JsonValue value:
                WriteValue(output, value, path);
                break;
            default:
                throw new CanonicalJsonException(path, "unsupported JSON node");
        }
    }

    private static void WriteValue(Stream output, JsonValue value, string path)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(output, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                WriteAscii(output, "true");
                break;
            case JsonValueKind.False:
                WriteAscii(output, "false");
                break;
            case JsonValueKind.Null:
                WriteAscii(output, "null");
                break;
            case JsonValueKind.Number:
                if (!TryGetInteger(value, out var integer))
                    throw new CanonicalJsonException(path, "only integers are allowed in canonical JSON");
                WriteAscii(output, integer.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new CanonicalJsonException(path, $"unsupported value kind {value.GetValueKind()}");
        }
    }

    private static bool TryGetInteger(JsonValue value, out long integer)
    {
        if (value.TryGetValue(out integer)) return true;
        if (value.TryGetValue(out int i32)) { integer = i32; return true; }
        if (value.TryGetValue(out JsonElement element) && element.ValueKind == JsonValueKind.Number)
            return element.TryGetInt64(out integer);
        integer = 0;
        return false;
    }

    private static void WriteString(Stream output, string text)
    {
        output.WriteByte((byte)'"');
        var escaped = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var bytes = System.Text.Encoding.UTF8.GetBytes(escaped);
        output.Write(bytes, 0, bytes.Length);
        output.WriteByte((byte)'"');
    }

    private static void WriteAscii(Stream output, string text)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        output.Write(bytes, 0, bytes.Length);
    }
}

/// <summary>A value that OLPC canonical JSON cannot express; <see cref="Path"/> names where it is.</summary>
public sealed class CanonicalJsonException(string path, string message) : Exception($"{path}: {message}")
{
    public string Path { get; } = path;
}
