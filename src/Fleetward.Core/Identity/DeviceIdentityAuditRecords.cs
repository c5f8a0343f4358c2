using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleetward.Core.Audit;

namespace Fleetward.Core.Identity;

/// <summary>Audit event types of the device identity area; stable strings that log readers and SIEM rules match on.</summary>
public static class DeviceIdentityAuditTypes
{
    public const string CertificateIssued = "device.certificate.issued";
    public const string CertificateRenewed = "device.certificate.renewed";
    public const string CertificateRevoked = "device.certificate.revoked";
    public const string EnrollmentApproved = "device.enrollment.approved";
    public const string EnrollmentRefused = "device.enrollment.refused";
}

/// <summary>
/// One device-identity fact before it becomes an <see cref="AuditEvent"/>: typed here so every issuance, renewal,
/// revocation, approval and refusal carries the same fields, written as JSON in a fixed property order.
/// </summary>
public abstract record DeviceIdentityAuditRecord
{
    public abstract string Type { get; }

    /// <summary>The device the event is about, or "unauthenticated" when a refusal happened before the device was known.</summary>
    public abstract string Subject { get; }

    public AuditEvent ToAuditEvent(DateTimeOffset at, string actor)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WritePayload(writer);
            writer.WriteEndObject();
        }

        return new AuditEvent(Type, at, actor, Subject, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    protected abstract void WritePayload(Utf8JsonWriter writer);

    protected static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A certificate issued through /simpleenroll.</summary>
public sealed record CertificateIssuedRecord(
    string DeviceId,
    string SerialNumberHex,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string KeyDescription,
    string? EnrollmentGroup) : DeviceIdentityAuditRecord
{
    public override string Type => DeviceIdentityAuditTypes.CertificateIssued;

    public override string Subject => DeviceId;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        writer.WriteString("deviceId", DeviceId);
        writer.WriteString("serial", SerialNumberHex);
        writer.WriteString("notBefore", Time(NotBefore));
        writer.WriteString("notAfter", Time(NotAfter));
        writer.WriteString("key", KeyDescription);
        if (EnrollmentGroup is null)
        {
            writer.WriteNull("enrollmentGroup");
        }
        else
        {
            writer.WriteString("enrollmentGroup", EnrollmentGroup);
        }
    }
}

/// <summary>A certificate issued through /simplereenroll, replacing <paramref name="PreviousSerialNumberHex"/>.</summary>
public sealed record CertificateRenewedRecord(
    string DeviceId,
    string SerialNumberHex,
    string PreviousSerialNumberHex,
    DateTimeOffset NotAfter,
    string KeyDescription) : DeviceIdentityAuditRecord
{
    public override string Type => DeviceIdentityAuditTypes.CertificateRenewed;

    public override string Subject => DeviceId;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        writer.WriteString("deviceId", DeviceId);
        writer.WriteString("serial", SerialNumberHex);
        writer.WriteString("previousSerial", PreviousSerialNumberHex);
        writer.WriteString("notAfter", Time(NotAfter));
        writer.WriteString("key", KeyDescription);
    }
}

/// <summary>A certificate put on the CRL; <paramref name="Reason"/> is the RFC 5280 5.3.1 reason name (e.g. "keyCompromise").</summary>
public sealed record CertificateRevokedRecord(
    string DeviceId,
    string SerialNumberHex,
    DateTimeOffset RevokedAt,
    string Reason) : DeviceIdentityAuditRecord
{
    public override string Type => DeviceIdentityAuditTypes.CertificateRevoked;

    public override string Subject => DeviceId;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        writer.WriteString("deviceId", DeviceId);
        writer.WriteString("serial", SerialNumberHex);
        writer.WriteString("revokedAt", Time(RevokedAt));
        writer.WriteString("reason", Reason);
    }
}

/// <summary>An operator approved a device waiting in a manual-approval enrollment group.</summary>
public sealed record EnrollmentApprovedRecord(string DeviceId, string EnrollmentGroup) : DeviceIdentityAuditRecord
{
    public override string Type => DeviceIdentityAuditTypes.EnrollmentApproved;

    public override string Subject => DeviceId;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        writer.WriteString("deviceId", DeviceId);
        writer.WriteString("enrollmentGroup", EnrollmentGroup);
    }
}

/// <summary>
/// An enrollment or re-enrollment refused; <paramref name="Code"/> is the stable error code (e.g. csr.key_too_weak),
/// <paramref name="Reason"/> the public message. <paramref name="DeviceId"/> is null when authentication failed.
/// </summary>
public sealed record EnrollmentRefusedRecord(string? DeviceId, string Endpoint, string Code, string Reason) : DeviceIdentityAuditRecord
{
    public const string Unauthenticated = "unauthenticated";

    public override string Type => DeviceIdentityAuditTypes.EnrollmentRefused;

    public override string Subject => DeviceId ?? Unauthenticated;

    protected override void WritePayload(Utf8JsonWriter writer)
    {
        if (DeviceId is null)
        {
            writer.WriteNull("deviceId");
        }
        else
        {
            writer.WriteString("deviceId", DeviceId);
        }

        writer.WriteString("endpoint", Endpoint);
        writer.WriteString("code", Code);
        writer.WriteString("reason", Reason);
    }
}
