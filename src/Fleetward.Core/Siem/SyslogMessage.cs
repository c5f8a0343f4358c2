using System.Globalization;
using System.Text;

namespace Fleetward.Core.Siem;

/// <summary>RFC 5424 6.2.1 facility codes (the subset a security product uses).</summary>
public enum SyslogFacility
{
    User = 1,
    Daemon = 3,
    Auth = 4,
    AuthPriv = 10,
    LogAudit = 13,
    LogAlert = 14,
    Local0 = 16,
    Local1 = 17,
    Local2 = 18,
    Local3 = 19,
    Local4 = 20,
    Local5 = 21,
    Local6 = 22,
    Local7 = 23,
}

/// <summary>RFC 5424 6.2.1 severity codes.</summary>
public enum SyslogSeverity
{
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

/// <summary>
/// One SD-ELEMENT (RFC 5424 6.3.1): an SD-ID and its parameters. Ids of our own must have the form
/// <c>name@enterprise-number</c> (6.3.2); only IANA-registered ids (such as <c>timeQuality</c>, <c>origin</c>,
/// <c>meta</c>) may go without.
/// </summary>
public sealed record StructuredDataElement(string Id, IReadOnlyList<KeyValuePair<string, string>> Parameters);

/// <summary>
/// An RFC 5424 syslog message. Nil header fields are null and written as "-". The constructor enforces the header
/// field syntax (section 6) so that a bad configuration fails at start, not at a receiver.
/// </summary>
public sealed record SyslogMessage
{
    private static readonly HashSet<string> IanaSdIds = new(StringComparer.Ordinal) { "timeQuality", "origin", "meta" };

    public SyslogMessage(SyslogFacility facility, SyslogSeverity severity, DateTimeOffset? timestamp, string? hostName,
        string? appName, string? procId, string? msgId, IReadOnlyList<StructuredDataElement> structuredData, string? message)
    {
        if ((int)facility is < 0 or > 23) throw new ArgumentOutOfRangeException(nameof(facility));
        if ((int)severity is < 0 or > 7) throw new ArgumentOutOfRangeException(nameof(severity));
        CheckHeaderField(hostName, 255, nameof(hostName));
        CheckHeaderField(appName, 48, nameof(appName));
        CheckHeaderField(procId, 128, nameof(procId));
        CheckHeaderField(msgId, 32, nameof(msgId));
        foreach (var element in structuredData)
        {
            CheckSdName(element.Id, "structuredData.id");
            if (!element.Id.Contains('@') && !IanaSdIds.Contains(element.Id))
                throw new ArgumentException($"SD-ID '{element.Id}' is not IANA-registered and needs '@' and an enterprise number (RFC 5424 6.3.2).", nameof(structuredData));
            foreach (var (name, _) in element.Parameters) CheckSdName(name, "structuredData.parameter");
        }
        Facility = facility;
        Severity = severity;
        Timestamp = timestamp;
        HostName = hostName;
        AppName = appName;
        ProcId = procId;
        MsgId = msgId;
        StructuredData = structuredData;
        Message = message;
    }

    public SyslogFacility Facility { get; }
    public SyslogSeverity Severity { get; }
    public DateTimeOffset? Timestamp { get; }
    public string? HostName { get; }
    public string? AppName { get; }
    public string? ProcId { get; }
    public string? MsgId { get; }
    public IReadOnlyList<StructuredDataElement> StructuredData { get; }
    public string? Message { get; }

    /// <summary>PRI (6.2.1): facility × 8 + severity.</summary>
    public int Priority => (int)Facility * 8 + (int)Severity;

    // RFC 5424 6: PRINTUSASCII is %d33-126; header fields are 1..N of them or the NILVALUE "-".
    private static void CheckHeaderField(string? value, int maxLength, string field)
    {
        if (value is null) return;
        if (value.Length == 0 || value.Length > maxLength || value.Any(c => c is < '!' or > '~'))
            throw new ArgumentException($"{field} must be 1-{maxLength} printable US-ASCII characters without spaces (RFC 5424 6).", field);
    }

    // RFC 5424 6.3.2/6.3.3: SD-NAME is 1*32 PRINTUSASCII except '=', SP, ']', '"'.
    private static void CheckSdName(string name, string field)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 32 || name.Any(c => c is < '!' or > '~' or '=' or ']' or '"'))
            throw new ArgumentException($"{field} '{name}' must be 1-32 printable US-ASCII characters except = ] \" and space (RFC 5424 6.3).", field);
    }
}

/// <summary>
/// Writes RFC 5424 messages and frames them for RFC 5425 (syslog over TLS) with octet counting.
/// The message body is UTF-8 and, per RFC 5424 6.4, starts with the byte order mark; receivers that keep the BOM
/// in their output can be sent plain-ASCII bodies without it (<c>omitBomForAscii</c>, MSG-ANY).
/// </summary>
public static class SyslogFormatter
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    public static byte[] Format(SyslogMessage message, bool omitBomForAscii = false)
    {
        var header = new StringBuilder(256);
        // 6.2: HEADER = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
        header.Append('<').Append(message.Priority.ToString(CultureInfo.InvariantCulture)).Append(">1 ");
        header.Append(message.Timestamp is { } t ? FormatTimestamp(t) : "-").Append(' ');
        header.Append(message.HostName ?? "-").Append(' ');
        header.Append(message.AppName ?? "-").Append(' ');
        header.Append(message.ProcId ?? "-").Append(' ');
        header.Append(message.MsgId ?? "-").Append(' ');
        // 6.3: STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
        if (message.StructuredData.Count == 0) header.Append('-');
        foreach (var element in message.StructuredData)
        {
            header.Append('[').Append(element.Id);
            foreach (var (name, value) in element.Parameters)
                header.Append(' ').Append(name).Append("=\"").Append(EscapeParamValue(value)).Append('"');
            header.Append(']');
        }

        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        if (message.Message is null) return headerBytes;
        // 6.4: MSG = MSG-ANY / MSG-UTF8, and MSG-UTF8 = BOM UTF-8-STRING.
        var body = Encoding.UTF8.GetBytes(message.Message);
        var bom = omitBomForAscii && body.All(b => b < 0x80) ? [] : Bom;
        var result = new byte[headerBytes.Length + 1 + bom.Length + body.Length];
        headerBytes.CopyTo(result, 0);
        result[headerBytes.Length] = (byte)' ';
        bom.CopyTo(result, headerBytes.Length + 1);
        body.CopyTo(result, headerBytes.Length + 1 + bom.Length);
        return result;
    }

    /// <summary>RFC 5425 4.3 octet-counting frame: <c>MSG-LEN SP SYSLOG-MSG</c>, MSG-LEN in octets.</summary>
    public static byte[] FrameOctetCounted(byte[] syslogMessage)
    {
        if (syslogMessage.Length == 0) throw new ArgumentException("An empty message cannot be framed (MSG-LEN starts with a nonzero digit).", nameof(syslogMessage));
        var prefix = Encoding.ASCII.GetBytes(syslogMessage.Length.ToString(CultureInfo.InvariantCulture) + " ");
        var frame = new byte[prefix.Length + syslogMessage.Length];
        prefix.CopyTo(frame, 0);
        syslogMessage.CopyTo(frame, prefix.Length);
        return frame;
    }

    /// <summary>
    /// RFC 5424 6.2.3: RFC 3339 full-date "T" full-time, at most six fraction digits. Written in UTC ("Z") with
    /// microseconds, trailing zeros dropped (and the fraction omitted when zero).
    /// </summary>
    public static string FormatTimestamp(DateTimeOffset timestamp)
    {
        var utc = timestamp.ToUniversalTime();
        var fraction = utc.ToString("ffffff", CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }

    // 6.3.3: inside PARAM-VALUE the characters '"', '\' and ']' MUST be escaped with '\'.
    private static string EscapeParamValue(string value)
    {
        if (value.AsSpan().IndexOfAny("\"\\]") < 0) return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '"' or '\\' or ']') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
