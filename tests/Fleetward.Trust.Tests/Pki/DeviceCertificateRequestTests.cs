using System.Security.Cryptography;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class DeviceCertificateRequestTests
{
    [Fact]
    public void Agent_request_passes_enrollment_for_its_own_id_only()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = DeviceCertificateRequest.Create(key, "robot-7");
        Assert.True(CertificateRequestValidator.ValidateForEnrollment(csr, "robot-7").IsSuccess);
        Assert.Equal(PkiErrorCodes.SubjectMismatch, CertificateRequestValidator.ValidateForEnrollment(csr, "robot-8").Error!.Code);
    }

    [Fact]
    public void Agent_request_with_a_new_key_passes_reenrollment_against_the_issued_certificate()
    {
        using var pki = new TestPki();
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var enrolled = CertificateRequestValidator.ValidateForEnrollment(DeviceCertificateRequest.Create(first, "robot-7"), "robot-7").Value!;
        var current = pki.Authority.Issue(enrolled, "robot-7", TestPki.Now).Certificate;

        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var renewal = CertificateRequestValidator.ValidateForReenrollment(DeviceCertificateRequest.Create(second, "robot-7"), current);
        Assert.True(renewal.IsSuccess, renewal.Error?.ToString());
        Assert.NotNull(renewal.Value.RequestedSubjectAlternativeName);
        Assert.Equal("1.2.840.10045.4.3.3", renewal.Value.SignatureAlgorithmOid);
    }

    [Fact]
    public void Rsa_agent_key_is_supported()
    {
        var key = TestPki.Rsa2048;
        Assert.Equal("RSA 2048", CertificateRequestValidator.Validate(DeviceCertificateRequest.Create(key, "robot-7")).Value!.KeyDescription);
    }

    [Fact]
    public void Invalid_device_id_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => DeviceCertificateRequest.Create(key, "no spaces"));
    }
}
