using Fleetward.Core.Devices;
using Fleetward.Core.Policy;

namespace Fleetward.Core.Tests.Policy;

public class UpdateGatePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static Device ActiveDevice(DeviceLifecycleState state = DeviceLifecycleState.Active) =>
        new("dev-1", "rover", null, [], state, Now.AddDays(-30), Now.AddDays(-30), Now);

    private static DeviceCredential Credential(bool revoked = false, string subject = "dev-1") =>
        new("0a1b", subject, Now.AddDays(-30), Now.AddDays(335), revoked);

    private static UpdateGateRequest Request(Device? device = null, DeviceCredential? credential = null, DateTimeOffset? now = null, GateEvidence? evidence = null) =>
        new(device ?? ActiveDevice(), credential, now ?? Now, evidence ?? GateEvidence.None);

    private static string[] Codes(GateDecision decision) => decision.Refusals.Select(r => r.Code).ToArray();

    [Fact]
    public void Active_device_with_valid_certificate_is_allowed()
    {
        var decision = new UpdateGatePolicy().Evaluate(Request(credential: Credential()));
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void Missing_certificate_is_refused()
    {
        Assert.Equal([GateRefusalCodes.CertificateMissing], Codes(new UpdateGatePolicy().Evaluate(Request())));
    }

    [Fact]
    public void Certificate_before_its_validity_is_refused()
    {
        var decision = new UpdateGatePolicy().Evaluate(Request(credential: Credential(), now: Now.AddDays(-31)));
        Assert.Equal([GateRefusalCodes.CertificateNotYetValid], Codes(decision));
    }

    [Fact]
    public void Certificate_is_valid_through_not_after_and_expired_after()
    {
        var credential = Credential();
        Assert.True(new UpdateGatePolicy().Evaluate(Request(credential: credential, now: credential.NotAfter)).Allowed);
        var decision = new UpdateGatePolicy().Evaluate(Request(credential: credential, now: credential.NotAfter.AddTicks(1)));
        Assert.Equal([GateRefusalCodes.CertificateExpired], Codes(decision));
    }

    [Fact]
    public void Revoked_certificate_is_refused()
    {
        Assert.Equal([GateRefusalCodes.CertificateRevoked], Codes(new UpdateGatePolicy().Evaluate(Request(credential: Credential(revoked: true)))));
    }

    [Fact]
    public void Certificate_of_another_device_is_refused()
    {
        Assert.Equal([GateRefusalCodes.CertificateDeviceMismatch], Codes(new UpdateGatePolicy().Evaluate(Request(credential: Credential(subject: "dev-2")))));
    }

    [Theory]
    [InlineData(DeviceLifecycleState.Pending, GateRefusalCodes.DevicePending)]
    [InlineData(DeviceLifecycleState.Quarantined, GateRefusalCodes.DeviceQuarantined)]
    [InlineData(DeviceLifecycleState.Decommissioned, GateRefusalCodes.DeviceDecommissioned)]
    public void Device_that_is_not_active_is_refused(DeviceLifecycleState state, string code)
    {
        Assert.Equal([code], Codes(new UpdateGatePolicy().Evaluate(Request(ActiveDevice(state), Credential()))));
    }

    [Fact]
    public void Every_failing_check_is_reported()
    {
        var decision = new UpdateGatePolicy().Evaluate(Request(ActiveDevice(DeviceLifecycleState.Quarantined), Credential(revoked: true)));
        Assert.Equal([GateRefusalCodes.CertificateRevoked, GateRefusalCodes.DeviceQuarantined], Codes(decision));
    }

    [Fact]
    public void Extra_condition_plugs_into_the_same_policy()
    {
        var policy = new UpdateGatePolicy().With(new AttestationFreshnessCondition(TimeSpan.FromHours(1)));
        var fresh = GateEvidence.None.With(new AttestationEvidence(Now.AddMinutes(-59)));
        var stale = GateEvidence.None.With(new AttestationEvidence(Now.AddMinutes(-61)));

        Assert.True(policy.Evaluate(Request(credential: Credential(), evidence: fresh)).Allowed);
        Assert.Equal([AttestationFreshnessCondition.StaleCode], Codes(policy.Evaluate(Request(credential: Credential(), evidence: stale))));
        Assert.Equal([AttestationFreshnessCondition.MissingCode], Codes(policy.Evaluate(Request(credential: Credential()))));
    }

    [Fact]
    public void Later_evidence_of_the_same_type_replaces_the_earlier()
    {
        var evidence = GateEvidence.None.With(new AttestationEvidence(null)).With(new AttestationEvidence(Now));
        Assert.Equal(Now, evidence.Find<AttestationEvidence>()!.VerifiedAt);
        Assert.Null(GateEvidence.None.Find<AttestationEvidence>());
    }
}
