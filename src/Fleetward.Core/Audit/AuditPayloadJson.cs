using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fleetward.Core.Audit;

/// <summary>
/// Canonical form of an audit payload, so that one logical payload has exactly one byte encoding:
/// an object at the top; no insignificant whitespace; object members sorted by key in ordinal UTF-16 order
/// (as in RFC 8785) with duplicate keys refused; strings escaped only where JSON requires it (", \, and
/// control characters, using \b \f \n \r \t or lowercase \u00xx), everything else literal UTF-8; numbers as
/// exact plain decimals without exponent, leading zeros or trailing fractional zeros ("1.50" and "15e-1" become "1.5",
/// "-0" becomes "0"), refused when longer than 64 characters.
/// </summary>
internal static class AuditPayloadJson
{
    private const int MaxNumberDigits = 64;

    public static string Canonicalize(string payloadJson)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payloadJson, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new AuditLeafFormatException("payload", $"not valid JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new AuditLeafFormatException("payload", $"must be a JSON object, got {document.RootElement.ValueKind}");
            }
            var builder = new StringBuilder(payloadJson.Length);
            Write(document.RootElement, builder, "payload");
            return builder.ToString();
        }
    }

    private static void Write(JsonElement element, StringBuilder output, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var members = element.EnumerateObject().Select(p => (p.Name, p.Value)).ToList();
                    members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                    output.Append('{');
                    for (var i = 0; i < members.Count; i++)
                    {
                        if (i > 0)
                        {
                            if (members[i].Name == members[i - 1].Name)
                            {
                                throw new AuditLeafFormatException(path, $"duplicate key '{members[i].Name}'");
                            }
                            output.Append(',');
                        }
                        WriteString(members[i].Name, output);
                        output.Append(':');
                        Write(members[i].Value, output, $"{path}.{members[i].Name}");
                    }
                    output.Append('}');
                    break;
                }
            case JsonValueKind.Array:
                {
                    output.Append('[');
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (index > 0)
                        {
                            output.Append(',');
                        }
                        Write(item, output, $"{path}[{index}]");
                        index++;
                    }
                    output.Append(']');
                    break;
                }
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                output.Append(CanonicalNumber(element.GetRawText(), path));
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                throw new AuditLeafFormatException(path, $"unsupported JSON value {element.ValueKind}");
        }
    }

    /// <summary>
    /// Exact rewrite of a JSON number token (RFC 8259 section 6 grammar, already validated by the parser) as a plain
    /// decimal: digits and exponent are normalised as text, so no value is rounded and equal values give equal text.
    /// </summary>
    private static string CanonicalNumber(string raw, string path)
    {
        var negative = raw.StartsWith('-');
        var body = negative ? raw[1..] : raw;
        var e = body.IndexOfAny(['e', 'E']);
        var exponent = 0L;
        if (e >= 0)
        {
            if (!long.TryParse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || exponent > MaxNumberDigits || exponent < -MaxNumberDigits)
            {
                throw new AuditLeafFormatException(path, $"number {raw} has an exponent beyond {MaxNumberDigits}");
            }
            body = body[..e];
        }
        var dot = body.IndexOf('.');
        var digits = dot >= 0 ? body[..dot] + body[(dot + 1)..] : body;
        if (dot >= 0)
        {
            exponent -= body.Length - dot - 1;
        }
        digits = digits.TrimStart('0');
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        digits = trimmed;
        if (digits.Length == 0)
        {
            return "0";
        }
        string text;
        if (exponent >= 0)
        {
            text = digits + new string('0', (int)exponent);
        }
        else if (-exponent < digits.Length)
        {
            text = digits[..(digits.Length + (int)exponent)] + "." + digits[(digits.Length + (int)exponent)..];
        }
        else
        {
            text = "0." + new string('0', (int)(-exponent - digits.Length)) + digits;
        }
        if (text.Length > MaxNumberDigits)
        {
            throw new AuditLeafFormatException(path, $"number {raw} needs more than {MaxNumberDigits} digits as a plain decimal");
        }
        return negative ? "-" + text : text;
    }

    private static void WriteString(string value, StringBuilder output)
    {
        output.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                output.Append(c).Append(value[++i]);
                continue;
            }
            if (char.IsSurrogate(c))
            {
                throw new AuditLeafFormatException("payload", "contains an unpaired UTF-16 surrogate");
            }
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }
                    break;
            }
        }
        output.Append('"');
    }
}
