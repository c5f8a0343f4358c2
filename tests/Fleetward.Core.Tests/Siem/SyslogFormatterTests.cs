using System.Text;
using Fleetward.Core.Detection;
using Fleetward.Core.Siem;

namespace Fleetward.Core.Tests.Siem;

public sealed class SyslogFormatterTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 10, 14, 15, 3, TimeSpan.Zero);

    private static SyslogMessage Message(string? text, IReadOnlyList<StructuredDataElement>? sd = null) =>
        new(SyslogFacility.LogAudit, SyslogSeverity.Critical, At, "fw.example.net", "fleetward", "1234", "OCSF2004", sd ?? [], text);

    [Fact]
    public void Writes_the_rfc5424_header_and_a_bom_before_a_utf8_message()
    {
        var bytes = SyslogFormatter.Format(Message("robot é"));
        // PRI = 13 × 8 + 2 = 106.
        var header = "<106>1 2026-11-21T10:14:15.003Z fw.example.net fleetward 1234 OCSF2004 - "u8.ToArray();
        Assert.Equal(header, bytes[..header.Length]);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[header.Length..(header.Length + 3)]);
        Assert.Equal("robot é", Encoding.UTF8.GetString(bytes[(header.Length + 3)..]));
    }

    [Fact]
    public void Ascii_body_may_go_without_bom_when_asked()
    {
        var text = Encoding.UTF8.GetString(SyslogFormatter.Format(Message("{\"a\":1}"), omitBomForAscii: true));
        Assert.Equal("<106>1 2026-11-21T10:14:15.003Z fw.example.net fleetward 1234 OCSF2004 - {\"a\":1}", text);
        Assert.Equal(0xEF, SyslogFormatter.Format(Message("é"), omitBomForAscii: true)[^5]);
    }

    [Fact]
    public void Nil_fields_and_no_message()
    {
        var m = new SyslogMessage(SyslogFacility.User, SyslogSeverity.Notice, null, null, null, null, null, [], null);
        Assert.Equal("<13>1 - - - - - -", Encoding.UTF8.GetString(SyslogFormatter.Format(m)));
    }

    [Fact]
    public void Structured_data_escapes_quote_backslash_and_bracket()
    {
        var sd = new StructuredDataElement("ocsf@32473", [new("device_uid", "a\"b\\c]d"), new("class_uid", "2004")]);
        var text = Encoding.UTF8.GetString(SyslogFormatter.Format(Message(null, [sd, new StructuredDataElement("origin", [new("software", "fleetward")])])));
        Assert.EndsWith("OCSF2004 [ocsf@32473 device_uid=\"a\\\"b\\\\c\\]d\" class_uid=\"2004\"][origin software=\"fleetward\"]", text);
    }

    [Theory]
    [InlineData("2026-11-21T10:14:15Z", "2026-11-21T10:14:15Z")]
    [InlineData("2026-11-21T10:14:15.1234567Z", "2026-11-21T10:14:15.123456Z")]
    [InlineData("2026-11-21T12:14:15.5+02:00", "2026-11-21T10:14:15.5Z")]
    public void Timestamps_are_utc_with_at_most_six_fraction_digits(string input, string expected)
    {
        Assert.Equal(expected, SyslogFormatter.FormatTimestamp(DateTimeOffset.Parse(input, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Octet_counting_frame_counts_bytes_not_characters()
    {
        var message = SyslogFormatter.Format(Message("é"));
        var frame = SyslogFormatter.FrameOctetCounted(message);
        var prefix = $"{message.Length} ";
        Assert.Equal(Encoding.ASCII.GetBytes(prefix), frame[..prefix.Length]);
        Assert.Equal(message, frame[prefix.Length..]);
        // The BOM is 3 bytes for 1 character and "é" 2 bytes for 1: the count is 3 more than the characters.
        Assert.Equal(Encoding.UTF8.GetString(message).Length + 3, message.Length);
    }

    [Theory]
    [InlineData("host name", null, null)]
    [InlineData(null, "app-name-that-is-far-too-long-for-rfc5424-limits-x", null)]
    [InlineData(null, null, "msgid-that-is-longer-than-32-chars")]
    public void Header_fields_are_checked(string? host, string? app, string? msgId)
    {
        Assert.Throws<ArgumentException>(() => new SyslogMessage(SyslogFacility.User, SyslogSeverity.Notice, null, host, app, null, msgId, [], null));
    }

    [Fact]
    public void Private_sd_ids_need_an_enterprise_number()
    {
        Assert.Throws<ArgumentException>(() => Message(null, [new StructuredDataElement("ocsf", [])]));
        Assert.Throws<ArgumentException>(() => Message(null, [new StructuredDataElement("ocsf@32473", [new("bad=name", "")])]));
    }

    [Fact]
    public void Encoder_maps_an_ocsf_event_to_a_framed_message()
    {
        var encoder = new SiemSyslogEncoder(new SiemSyslogOptions("fw1", OmitBomForAscii: true));
        var ocsf = new OcsfEvent(2004, 1, DetectionSeverity.High, "dev-1", At, "{\"class_uid\":2004}");
        var frame = Encoding.UTF8.GetString(encoder.Frame(ocsf));
        const string message = "<107>1 2026-11-21T10:14:15.003Z fw1 fleetward - OCSF2004 [ocsf@32473 class_uid=\"2004\" type_uid=\"200401\" severity_id=\"4\" device_uid=\"dev-1\"] {\"class_uid\":2004}";
        Assert.Equal($"{message.Length} {message}", frame);
    }

    [Fact]
    public void Encoder_refuses_a_bad_configuration_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new SiemSyslogEncoder(new SiemSyslogOptions("bad host")));
        Assert.Throws<ArgumentException>(() => new SiemSyslogEncoder(new SiemSyslogOptions("h", StructuredDataId: "ocsf")));
    }
}
