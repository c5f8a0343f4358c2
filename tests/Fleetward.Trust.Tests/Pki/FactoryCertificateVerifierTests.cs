using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class FactoryCertificateVerifierTests : IDisposable
{
    private static readonly DateTimeOffset Now = TestPki.Now;
    private static readonly DateTimeOffset Forever = new(9999, 12, 31, 23, 59, 59, TimeSpan.Zero);
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _lineKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _factoryRoot;
    private readonly X509Certificate2 _factoryLine;

    public FactoryCertificateVerifierTests()
    {
        _factoryRoot = CertificateAuthorityHierarchy.CreateRoot(_rootKey, new X500DistinguishedName("CN=Acme Robotics Root"), Now.AddYears(-2), TimeSpan.FromDays(30 * 365));
        _factoryLine = CertificateAuthorityHierarchy.CreateIssuing(_factoryRoot, _rootKey, new PublicKey(_lineKey), new X500DistinguishedName("CN=Acme Line 3"), Now.AddYears(-1), TimeSpan.FromDays(20 * 365));
    }

    public void Dispose()
    {
        _rootKey.Dispose();
        _lineKey.Dispose();
        _deviceKey.Dispose();
    }

    /// <summary>An IDevID as a factory line writes it: never-expiring, signed by the line CA.</summary>
    private X509Certificate2 IDevId(string subject, DateTimeOffset? notAfter = null, string? ekuOid = null)
    {
        var request = new CertificateRequest(subject, _deviceKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (ekuOid is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ekuOid)], false));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_factoryLine, true, false));
        return request.Create(_factoryLine.SubjectName, X509SignatureGenerator.CreateForECDsa(_lineKey), Now.AddMonths(-1), notAfter ?? Forever, [0x42, 0x01]);
    }

    [Fact]
    public void Subject_serial_number_is_the_device_id()
    {
        var verifier = new FactoryCertificateVerifier([_factoryRoot]);
        var result = verifier.Verify(IDevId("CN=Acme R2 robot, SERIALNUMBER=ACME-000123"), [_factoryLine], Now);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("ACME-000123", result.Value.DeviceId);
        Assert.Equal("4201", result.Value.SerialNumberHex);
    }

    [Fact]
    public void Common_name_is_used_without_a_serial_number()
    {
        var result = new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("CN=acme-000124"), [_factoryLine], Now);
        Assert.Equal("acme-000124", result.Value!.DeviceId);
    }

    [Fact]
    public void Configured_line_ca_completes_the_chain_when_the_device_sends_only_its_certificate()
    {
        var result = new FactoryCertificateVerifier([_factoryRoot], [_factoryLine]).Verify(IDevId("SERIALNUMBER=ACME-000125"), [], Now);
        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Fact]
    public void A_line_ca_cannot_be_a_trust_anchor()
    {
        var error = Assert.Throws<ArgumentException>(() => new FactoryCertificateVerifier([_factoryLine]));
        Assert.Equal("factoryRoots", error.ParamName);
    }

    [Fact]
    public void Missing_intermediate_leaves_the_chain_untrusted()
    {
        var error = new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("SERIALNUMBER=ACME-000126"), [], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateUntrusted, error.Code);
        Assert.Equal("clientCertificate", error.Field);
    }

    [Fact]
    public void Another_manufacturer_is_untrusted()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherRoot = CertificateAuthorityHierarchy.CreateRoot(otherKey, new X500DistinguishedName("CN=Other Root"), Now.AddYears(-1));
        var error = new FactoryCertificateVerifier([otherRoot]).Verify(IDevId("SERIALNUMBER=ACME-000127"), [_factoryLine], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateUntrusted, error.Code);
    }

    [Fact]
    public void Server_only_certificate_is_refused()
    {
        var error = new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("SERIALNUMBER=ACME-000128", ekuOid: "1.3.6.1.5.5.7.3.1"), [_factoryLine], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateNotForClientAuth, error.Code);
    }

    [Fact]
    public void Client_auth_certificate_is_accepted()
    {
        Assert.True(new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("SERIALNUMBER=ACME-000129", ekuOid: "1.3.6.1.5.5.7.3.2"), [_factoryLine], Now).IsSuccess);
    }

    [Fact]
    public void Expired_certificate_is_refused()
    {
        var error = new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("SERIALNUMBER=ACME-000130", Now.AddDays(-1)), [_factoryLine], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateExpired, error.Code);
    }

    [Fact]
    public void Subject_without_a_usable_id_is_refused()
    {
        var error = new FactoryCertificateVerifier([_factoryRoot]).Verify(IDevId("SERIALNUMBER=SN: 12 34"), [_factoryLine], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateWithoutDeviceId, error.Code);
    }

    [Fact]
    public void Our_own_device_ca_is_not_a_factory_ca_unless_configured()
    {
        using var pki = new TestPki();
        var deviceCertificate = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", Now).Certificate;
        var error = new FactoryCertificateVerifier([_factoryRoot]).Verify(deviceCertificate, [pki.Issuing], Now).Error!;
        Assert.Equal(PkiErrorCodes.FactoryCertificateUntrusted, error.Code);
    }
}
