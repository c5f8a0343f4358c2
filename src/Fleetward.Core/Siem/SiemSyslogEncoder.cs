using System.Globalization;
using Fleetward.Core.Detection;

namespace Fleetward.Core.Siem;

/// <summary>
/// How OCSF events are put into syslog. <see cref="StructuredDataId"/> must be <c>name@PEN</c> with the operator's
/// IANA Private Enterprise Number; 32473 is the number RFC 5612 reserves for documentation and examples.
/// </summary>
public sealed record SiemSyslogOptions(
    string HostName,
    string AppName = "fleetward",
    string? ProcId = null,
    SyslogFacility Facility = SyslogFacility.LogAudit,
    string StructuredDataId = "ocsf@32473",
    bool OmitBomForAscii = false);

/// <summary>
/// Wraps an OCSF event as an RFC 5424 message for RFC 5425 transport: the JSON is the MSG, MSGID is
/// <c>OCSF</c> + class uid, and the fields a SIEM routes on (class, type, severity, device) are repeated as
/// structured data so a receiver can filter without parsing JSON.
/// </summary>
public sealed class SiemSyslogEncoder
{
    private readonly SiemSyslogOptions _options;

    public SiemSyslogEncoder(SiemSyslogOptions options)
    {
        _options = options;
        // Fail on a bad configuration now rather than on the first event.
        _ = Message(new OcsfEvent(OcsfEventFactory.DetectionFindingClass, 1, DetectionSeverity.Informational, "-", DateTimeOffset.UnixEpoch, "{}"));
    }

    public SyslogMessage Message(OcsfEvent ocsfEvent) => new(
        _options.Facility,
        ToSyslogSeverity(ocsfEvent.Severity),
        ocsfEvent.Time,
        _options.HostName,
        _options.AppName,
        _options.ProcId,
        "OCSF" + ocsfEvent.ClassUid.ToString(CultureInfo.InvariantCulture),
        [new StructuredDataElement(_options.StructuredDataId,
        [
            new("class_uid", ocsfEvent.ClassUid.ToString(CultureInfo.InvariantCulture)),
            new("type_uid", ocsfEvent.TypeUid.ToString(CultureInfo.InvariantCulture)),
            new("severity_id", ((int)ocsfEvent.Severity).ToString(CultureInfo.InvariantCulture)),
            new("device_uid", ocsfEvent.DeviceUid),
        ])],
        ocsfEvent.Json);

    /// <summary>The bytes to write on the TLS stream: one octet-counted RFC 5425 frame.</summary>
    public byte[] Frame(OcsfEvent ocsfEvent) =>
        SyslogFormatter.FrameOctetCounted(SyslogFormatter.Format(Message(ocsfEvent), _options.OmitBomForAscii));

    public static SyslogSeverity ToSyslogSeverity(DetectionSeverity severity) => severity switch
    {
        DetectionSeverity.Critical => SyslogSeverity.Critical,
        DetectionSeverity.High => SyslogSeverity.Error,
        DetectionSeverity.Medium => SyslogSeverity.Warning,
        DetectionSeverity.Low => SyslogSeverity.Notice,
        _ => SyslogSeverity.Informational,
    };
}
