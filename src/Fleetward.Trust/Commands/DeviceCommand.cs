using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Fleetward.Trust.Commands;

/// <summary>
/// A command addressed to one device, valid in a time window and made unique by a nonce. The type is kept
/// as text so that a command of a type this agent does not know can be parsed and refused by name.
/// </summary>
public sealed record DeviceCommand(
    string Type,
    string DeviceId,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string Nonce,
    IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>DSSE payload type of the canonical encoding.</summary>
    public const string PayloadType = "application/vnd.fleetward.command.v1+json";

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    private static readonly string[] Fields = ["type", "deviceId", "issuedAt", "expiresAt", "nonce", "parameters"];

    /// <summary>A new command with a fresh 128-bit nonce; times are truncated to whole seconds as encoded.</summary>
    public static DeviceCommand Create(CommandType type, string deviceId, DateTimeOffset issuedAt, TimeSpan lifetime, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var issued = TruncateToSeconds(issuedAt);
        return new DeviceCommand(
            type.ToName(),
            deviceId,
            issued,
            issued + lifetime,
            Base64Url(RandomNumberGenerator.GetBytes(16)),
            parameters ?? new Dictionary<string, string>());
    }

    /// <summary>
    /// The canonical encoding: JSON with members in a fixed order, parameters sorted by ordinal key, times as
    /// RFC 3339 UTC seconds, no insignificant whitespace. The same command always gives the same bytes.
    /// </summary>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", Type);
            writer.WriteString("deviceId", DeviceId);
            writer.WriteString("issuedAt", IssuedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            writer.WriteString("expiresAt", ExpiresAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            writer.WriteString("nonce", Nonce);
            writer.WriteStartObject("parameters");
            foreach (var (key, value) in Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Parses the canonical encoding strictly: every member present once, no others, strings only.</summary>
    public static DeviceCommand Decode(ReadOnlySpan<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray());
        }
        catch (JsonException error)
        {
            throw new FormatException($"command: not JSON ({error.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("command: expected a JSON object");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!Fields.Contains(property.Name))
                {
                    throw new FormatException($"command.{property.Name}: unknown member");
                }
                if (!seen.Add(property.Name))
                {
                    throw new FormatException($"command.{property.Name}: duplicate member");
                }
            }
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            var parametersElement = Member(root, "parameters", JsonValueKind.Object);
            foreach (var parameter in parametersElement.EnumerateObject())
            {
                if (parameter.Value.ValueKind != JsonValueKind.String || !parameters.TryAdd(parameter.Name, parameter.Value.GetString()!))
                {
                    throw new FormatException($"command.parameters.{parameter.Name}: expected one string value");
                }
            }
            return new DeviceCommand(
                Text(root, "type"),
                Text(root, "deviceId"),
                Time(root, "issuedAt"),
                Time(root, "expiresAt"),
                Text(root, "nonce"),
                parameters);
        }
    }

    private static JsonElement Member(JsonElement root, string name, JsonValueKind kind) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == kind
            ? element
            : throw new FormatException($"command.{name}: missing or not a JSON {kind.ToString().ToLowerInvariant()}");

    private static string Text(JsonElement root, string name)
    {
        var text = Member(root, name, JsonValueKind.String).GetString()!;
        return text.Length > 0 ? text : throw new FormatException($"command.{name}: empty");
    }

    private static DateTimeOffset Time(JsonElement root, string name) =>
        DateTime.TryParseExact(Text(root, name), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? new DateTimeOffset(time, TimeSpan.Zero)
            : throw new FormatException($"command.{name}: expected RFC 3339 UTC seconds (yyyy-MM-ddTHH:mm:ssZ)");

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
