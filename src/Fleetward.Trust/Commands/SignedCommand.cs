using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fleetward.Trust.Commands;

/// <summary>One signature of a <see cref="SignedCommand"/>, with the signing key's id as a lookup hint.</summary>
public sealed record CommandSignature(string KeyId, byte[] Signature);

/// <summary>
/// A command as it travels: a DSSE envelope (secure-systems-lab/dsse, envelope.md) holding the exact
/// payload bytes that were signed, so the device verifies before it parses anything.
/// </summary>
public sealed record SignedCommand(string PayloadType, byte[] Payload, IReadOnlyList<CommandSignature> Signatures)
{
    /// <summary>
    /// DSSE protocol.md "Signature definition": PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
    /// with LEN the ASCII decimal byte length. Signing this binds the payload type into the signature.
    /// </summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"DSSEv1 {type.Length} "));
        var middle = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" {payload.Length} "));
        return [.. head, .. type, .. middle, .. payload];
    }

    /// <summary>The DSSE JSON envelope: payloadType, payload (base64), signatures [{keyid, sig (base64)}].</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("payloadType", PayloadType);
            writer.WriteString("payload", Convert.ToBase64String(Payload));
            writer.WriteStartArray("signatures");
            foreach (var signature in Signatures)
            {
                writer.WriteStartObject();
                writer.WriteString("keyid", signature.KeyId);
                writer.WriteString("sig", Convert.ToBase64String(signature.Signature));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses the DSSE JSON envelope (envelope.md); a bad shape is a <see cref="FormatException"/> naming the member.</summary>
    public static SignedCommand FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var payloadType = root.GetProperty("payloadType").GetString() ?? throw new FormatException("envelope.payloadType: missing");
            var payload = Base64(root.GetProperty("payload").GetString(), "envelope.payload");
            var signatures = new List<CommandSignature>();
            foreach (var signature in root.GetProperty("signatures").EnumerateArray())
            {
                var keyId = signature.TryGetProperty("keyid", out var id) ? id.GetString() ?? "" : "";
                signatures.Add(new CommandSignature(keyId, Base64(signature.GetProperty("sig").GetString(), "envelope.signatures[].sig")));
            }
            return new SignedCommand(payloadType, payload, signatures);
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"envelope: not a DSSE JSON envelope ({error.Message})");
        }
    }

    /// <summary>DSSE envelope.md accepts standard and URL-safe base64, with or without padding.</summary>
    private static byte[] Base64(string? text, string field)
    {
        if (text is null)
        {
            throw new FormatException($"{field}: missing");
        }
        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
        try
        {
            return Convert.FromBase64String(standard);
        }
        catch (FormatException)
        {
            throw new FormatException($"{field}: not base64");
        }
    }
}
