using System.Buffers.Binary;
using System.Text;
using Fleetward.Trust.Merkle;

namespace Fleetward.Core.Audit;

/// <summary>
/// The canonical leaf bytes of an audit event: what the Merkle log hashes (RFC 6962 leaf input), so it must be
/// deterministic, unambiguous and decodable by any auditor. Layout, all integers big-endian:
/// <code>
/// version  : 1 byte  = 0x01
/// type     : uint16 length || UTF-8 bytes   (non-empty)
/// time     : int64 milliseconds since 1970-01-01T00:00:00Z (UTC; sub-millisecond ticks are dropped)
/// actor    : uint16 length || UTF-8 bytes   (non-empty)
/// subject  : uint16 length || UTF-8 bytes   (may be empty)
/// payload  : uint32 length || UTF-8 bytes of the canonical JSON object (see AuditPayloadJson)
/// </code>
/// Length prefixes make the field boundaries unambiguous; the decoder accepts only bytes that re-encode to
/// themselves, so one event has exactly one leaf and one leaf hash.
/// </summary>
public static class AuditLeafCodec
{
    public const byte Version = 0x01;

    private const int MaxShortField = ushort.MaxValue;
    private const int MaxPayloadBytes = 1 << 20;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Encodes <paramref name="auditEvent"/> canonically; throws <see cref="AuditLeafFormatException"/> naming the bad field.</summary>
    public static byte[] Encode(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var type = Utf8(auditEvent.Type, "type", allowEmpty: false, MaxShortField);
        var actor = Utf8(auditEvent.Actor, "actor", allowEmpty: false, MaxShortField);
        var subject = Utf8(auditEvent.Subject, "subject", allowEmpty: true, MaxShortField);
        if (auditEvent.PayloadJson is null)
        {
            throw new AuditLeafFormatException("payload", "is required (use {} for none)");
        }
        var payload = Utf8(AuditPayloadJson.Canonicalize(auditEvent.PayloadJson), "payload", allowEmpty: false, MaxPayloadBytes);

        var buffer = new byte[1 + 2 + type.Length + 8 + 2 + actor.Length + 2 + subject.Length + 4 + payload.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        var at = 1;
        at = WriteShort(span, at, type);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], auditEvent.Time.ToUnixTimeMilliseconds());
        at += 8;
        at = WriteShort(span, at, actor);
        at = WriteShort(span, at, subject);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)payload.Length);
        payload.CopyTo(span[(at + 4)..]);
        return buffer;
    }

    /// <summary>Decodes leaf bytes, refusing anything that is not exactly the canonical encoding of an event.</summary>
    public static AuditEvent Decode(ReadOnlySpan<byte> leaf)
    {
        if (leaf.Length < 1 || leaf[0] != Version)
        {
            throw new AuditLeafFormatException("version", leaf.Length == 0 ? "leaf is empty" : $"unknown leaf version 0x{leaf[0]:x2}");
        }
        var at = 1;
        var type = ReadShort(leaf, ref at, "type");
        if (leaf.Length - at < 8)
        {
            throw new AuditLeafFormatException("time", "leaf ends before the timestamp");
        }
        var millis = BinaryPrimitives.ReadInt64BigEndian(leaf[at..]);
        at += 8;
        var actor = ReadShort(leaf, ref at, "actor");
        var subject = ReadShort(leaf, ref at, "subject");
        if (leaf.Length - at < 4)
        {
            throw new AuditLeafFormatException("payload", "leaf ends before the payload length");
        }
        var payloadLength = BinaryPrimitives.ReadUInt32BigEndian(leaf[at..]);
        at += 4;
        if (payloadLength != (uint)(leaf.Length - at))
        {
            throw new AuditLeafFormatException("payload", $"declares {payloadLength} bytes but {leaf.Length - at} follow");
        }
        var payload = Text(leaf[at..], "payload");

        DateTimeOffset time;
        try
        {
            time = DateTimeOffset.FromUnixTimeMilliseconds(millis);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new AuditLeafFormatException("time", $"{millis} ms is outside the representable range");
        }
        var decoded = new AuditEvent(type, time, actor, subject, payload);
        if (!leaf.SequenceEqual(Encode(decoded)))
        {
            throw new AuditLeafFormatException("leaf", "is not in canonical form (fields or payload would encode differently)");
        }
        return decoded;
    }

    /// <summary>RFC 6962 leaf hash of the event's canonical encoding: the value the Merkle log stores at level 0.</summary>
    public static byte[] LeafHash(AuditEvent auditEvent) => MerkleHasher.HashLeaf(Encode(auditEvent));

    private static byte[] Utf8(string? value, string field, bool allowEmpty, int maxBytes)
    {
        if (value is null || (!allowEmpty && value.Length == 0))
        {
            throw new AuditLeafFormatException(field, "is required");
        }
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            throw new AuditLeafFormatException(field, "is not valid Unicode (unpaired surrogate)");
        }
        if (bytes.Length > maxBytes)
        {
            throw new AuditLeafFormatException(field, $"is {bytes.Length} bytes, more than the {maxBytes} allowed");
        }
        return bytes;
    }

    private static int WriteShort(Span<byte> span, int at, byte[] value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)value.Length);
        value.CopyTo(span[(at + 2)..]);
        return at + 2 + value.Length;
    }

    private static string ReadShort(ReadOnlySpan<byte> leaf, ref int at, string field)
    {
        if (leaf.Length - at < 2)
        {
            throw new AuditLeafFormatException(field, "leaf ends before the field length");
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(leaf[at..]);
        at += 2;
        if (leaf.Length - at < length)
        {
            throw new AuditLeafFormatException(field, $"declares {length} bytes but only {leaf.Length - at} remain");
        }
        var value = Text(leaf.Slice(at, length), field);
        at += length;
        return value;
    }

    private static string Text(ReadOnlySpan<byte> bytes, string field)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new AuditLeafFormatException(field, "is not valid UTF-8");
        }
    }
}
