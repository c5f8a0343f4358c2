using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class DeviceCertificateVerifierTests : IDisposable
{
    private static readonly IReadOnlySet<string> NoneRevoked = new HashSet<string>();
    private readonly TestPki _pki = new();
    private readonly DeviceCertificateVerifier _verifier;

    public DeviceCertificateVerifierTests()
    {
        _verifier = new DeviceCertificateVerifier(_pki.Root, [_pki.Issuing]);
    }

    public void Dispose() => _pki.Dispose();

    private X509Certificate2 Issue(string deviceId = "robot-7") =>
        _pki.Authority.Issue(_pki.VerifiedCsr(deviceId), deviceId, TestPki.Now).Certificate;

    [Fact]
    public void Valid_device_certificate_names_its_device()
    {
        var certificate = Issue();
        var result = _verifier.Verify(certificate, TestPki.Now.AddMinutes(1), NoneRevoked);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("robot-7", result.Value.DeviceId);
        Assert.Equal(certificate.SerialNumber, result.Value.SerialNumberHex);
    }

    [Fact]
    public void Expired_certificate_is_refused()
    {
        var error = _verifier.Verify(Issue(), TestPki.Now.AddHours(25), NoneRevoked).Error!;
        Assert.Equal(PkiErrorCodes.ClientCertificateExpired, error.Code);
        Assert.Equal("clientCertificate", error.Field);
    }

    [Fact]
    public void Not_yet_valid_certificate_is_refused()
    {
        Assert.Equal(PkiErrorCodes.ClientCertificateNotYetValid, _verifier.Verify(Issue(), TestPki.Now.AddHours(-1), NoneRevoked).Error!.Code);
    }

    [Fact]
    public void Revoked_certificate_is_refused()
    {
        var certificate = Issue();
        var revoked = new HashSet<string> { certificate.SerialNumber };
        Assert.Equal(PkiErrorCodes.ClientCertificateRevoked, _verifier.Verify(certificate, TestPki.Now, revoked).Error!.Code);
    }

    [Fact]
    public void Certificate_from_another_fleet_is_untrusted()
    {
        using var other = new TestPki();
        var foreign = other.Authority.Issue(other.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        Assert.Equal(PkiErrorCodes.ClientCertificateUntrusted, _verifier.Verify(foreign, TestPki.Now, NoneRevoked).Error!.Code);
    }

    [Fact]
    public void Self_signed_certificate_with_a_device_urn_is_untrusted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=robot-7", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("urn:fleetward:device:robot-7"));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var forged = request.CreateSelfSigned(TestPki.Now.AddHours(-1), TestPki.Now.AddHours(1));
        Assert.Equal(PkiErrorCodes.ClientCertificateUntrusted, _verifier.Verify(forged, TestPki.Now, NoneRevoked).Error!.Code);
    }

    [Fact]
    public void The_issuing_ca_itself_is_not_a_device()
    {
        Assert.Equal(PkiErrorCodes.ClientCertificateUntrusted, _verifier.Verify(_pki.Issuing, TestPki.Now, NoneRevoked).Error!.Code);
    }

    [Fact]
    public void Certificate_from_our_ca_without_client_auth_or_device_urn_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var generator = X509SignatureGenerator.CreateForECDsa(_pki.IssuingKey);

        var noEku = new CertificateRequest("CN=robot-7", key, HashAlgorithmName.SHA256);
        using var withoutEku = noEku.Create(_pki.Issuing.SubjectName, generator, TestPki.Now.AddHours(-1), TestPki.Now.AddHours(1), [1, 2, 3]);
        Assert.Equal(PkiErrorCodes.ClientCertificateNotForClientAuth, _verifier.Verify(withoutEku, TestPki.Now, NoneRevoked).Error!.Code);

        var noSan = new CertificateRequest("CN=robot-7", key, HashAlgorithmName.SHA256);
        noSan.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var withoutSan = noSan.Create(_pki.Issuing.SubjectName, generator, TestPki.Now.AddHours(-1), TestPki.Now.AddHours(1), [1, 2, 4]);
        Assert.Equal(PkiErrorCodes.ClientCertificateWithoutDeviceId, _verifier.Verify(withoutSan, TestPki.Now, NoneRevoked).Error!.Code);
    }

    [Fact]
    public void Certificates_of_a_retired_issuing_ca_are_refused_once_it_is_dropped()
    {
        var certificate = Issue();
        using var newIssuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newIssuing = CertificateAuthorityHierarchy.CreateIssuing(_pki.Root, _pki.RootKey, new PublicKey(newIssuingKey), new X500DistinguishedName("CN=Issuing 2"), TestPki.Now);
        var both = new DeviceCertificateVerifier(_pki.Root, [_pki.Issuing, newIssuing]);
        var onlyNew = new DeviceCertificateVerifier(_pki.Root, [newIssuing]);
        Assert.True(both.Verify(certificate, TestPki.Now, NoneRevoked).IsSuccess);
        Assert.Equal(PkiErrorCodes.ClientCertificateUntrusted, onlyNew.Verify(certificate, TestPki.Now, NoneRevoked).Error!.Code);
    }
}
