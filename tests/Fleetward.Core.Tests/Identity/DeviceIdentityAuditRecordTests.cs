using System.Text.Json;
using Fleetward.Core.Identity;

namespace Fleetward.Core.Tests.Identity;

public sealed class DeviceIdentityAuditRecordTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Issued_event_carries_serial_validity_key_and_group()
    {
        var record = new CertificateIssuedRecord("robot-7", "0A1B", At.AddMinutes(-5), At.AddHours(24), "ECDSA P-256", "factory-line-1");
        var audit = record.ToAuditEvent(At, "device:robot-7");
        Assert.Equal("device.certificate.issued", audit.Type);
        Assert.Equal("robot-7", audit.Subject);
        Assert.Equal("device:robot-7", audit.Actor);
        Assert.Equal(At, audit.Time);
        Assert.Equal(
            """{"deviceId":"robot-7","serial":"0A1B","notBefore":"2026-11-21T09:25:00Z","notAfter":"2026-11-22T09:30:00Z","key":"ECDSA P-256","enrollmentGroup":"factory-line-1"}""",
            audit.PayloadJson);
    }

    [Fact]
    public void Renewed_event_names_the_previous_serial()
    {
        var audit = new CertificateRenewedRecord("robot-7", "0B", "0A", At.AddHours(24), "ECDSA P-256").ToAuditEvent(At, "device:robot-7");
        Assert.Equal(DeviceIdentityAuditTypes.CertificateRenewed, audit.Type);
        Assert.Equal("0A", JsonDocument.Parse(audit.PayloadJson).RootElement.GetProperty("previousSerial").GetString());
    }

    [Fact]
    public void Revoked_event_carries_the_reason()
    {
        var audit = new CertificateRevokedRecord("robot-7", "0A", At, "keyCompromise").ToAuditEvent(At, "operator:alice");
        Assert.Equal(DeviceIdentityAuditTypes.CertificateRevoked, audit.Type);
        Assert.Equal("keyCompromise", JsonDocument.Parse(audit.PayloadJson).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public void Approved_event_names_the_group()
    {
        var audit = new EnrollmentApprovedRecord("robot-7", "line-2").ToAuditEvent(At, "operator:alice");
        Assert.Equal(DeviceIdentityAuditTypes.EnrollmentApproved, audit.Type);
        Assert.Equal("""{"deviceId":"robot-7","enrollmentGroup":"line-2"}""", audit.PayloadJson);
    }

    [Fact]
    public void Refusal_keeps_code_and_reason_and_marks_unauthenticated_callers()
    {
        var audit = new EnrollmentRefusedRecord(null, "simpleenroll", "csr.key_too_weak", "RSA 1024 is too weak").ToAuditEvent(At, "anonymous");
        Assert.Equal(DeviceIdentityAuditTypes.EnrollmentRefused, audit.Type);
        Assert.Equal(EnrollmentRefusedRecord.Unauthenticated, audit.Subject);
        var payload = JsonDocument.Parse(audit.PayloadJson).RootElement;
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("deviceId").ValueKind);
        Assert.Equal("csr.key_too_weak", payload.GetProperty("code").GetString());
        Assert.Equal("RSA 1024 is too weak", payload.GetProperty("reason").GetString());
    }

    [Fact]
    public void An_actor_is_required()
    {
        Assert.Throws<ArgumentException>(() => new EnrollmentApprovedRecord("robot-7", "g").ToAuditEvent(At, ""));
    }
}
