using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class DeviceCertificateAuthorityTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private IssuedDeviceCertificate Issue(string deviceId = "robot-7", TimeSpan? lifetime = null) =>
        _pki.Authority.Issue(_pki.VerifiedCsr(deviceId), deviceId, TestPki.Now, lifetime);

    [Fact]
    public void Subject_is_the_device_id_and_the_san_is_its_urn()
    {
        var issued = Issue();
        Assert.Equal("CN=robot-7", issued.Certificate.Subject);
        var san = issued.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.False(san.Critical);
        Assert.True(DeviceIdentityName.TryGetDeviceId(issued.Certificate, out var id));
        Assert.Equal("robot-7", id);
    }

    [Fact]
    public void Certificate_is_for_client_authentication_and_digital_signature_only()
    {
        var certificate = Issue().Certificate;
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.False(basic.CertificateAuthority);
    }

    [Fact]
    public void Validity_is_backdated_for_clock_skew_and_lasts_the_default_lifetime()
    {
        var issued = Issue();
        Assert.Equal(TestPki.Now - DeviceCertificateAuthority.ClockSkewAllowance, issued.NotBefore);
        Assert.Equal(TestPki.Now + TimeSpan.FromHours(24), issued.NotAfter);
        Assert.Equal(issued.NotBefore.UtcDateTime, issued.Certificate.NotBefore.ToUniversalTime());
        Assert.Equal(issued.NotAfter.UtcDateTime, issued.Certificate.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void Lifetime_passed_in_is_used()
    {
        var issued = Issue(lifetime: TimeSpan.FromHours(2));
        Assert.Equal(TestPki.Now.AddHours(2), issued.NotAfter);
    }

    [Fact]
    public void Lifetime_is_clipped_to_the_issuing_ca()
    {
        var issued = _pki.Authority.Issue(_pki.VerifiedCsr("robot-7"), "robot-7", new DateTimeOffset(_pki.Issuing.NotAfter.ToUniversalTime()).AddHours(-1));
        Assert.Equal(_pki.Issuing.NotAfter, issued.Certificate.NotAfter);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(400 * 24 * 60)]
    public void Lifetime_out_of_bounds_is_refused(int minutes)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Issue(lifetime: TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void Nothing_is_issued_once_the_issuing_ca_expired()
    {
        var after = new DateTimeOffset(_pki.Issuing.NotAfter.ToUniversalTime()).AddSeconds(1);
        Assert.Throws<InvalidOperationException>(() => _pki.Authority.Issue(_pki.VerifiedCsr("robot-7"), "robot-7", after));
    }

    [Fact]
    public void Serial_numbers_are_sixteen_positive_octets_and_unique()
    {
        var serials = Enumerable.Range(0, 64).Select(_ => Issue().Certificate.SerialNumberBytes.ToArray()).ToList();
        Assert.All(serials, s => Assert.Equal(16, s.Length));
        // SerialNumberBytes is big-endian: the first octet carries the sign bit.
        Assert.All(serials, s => Assert.InRange(s[0], 1, 0x7F));
        Assert.Equal(serials.Count, serials.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public void Serial_hex_matches_the_certificate()
    {
        var issued = Issue();
        Assert.Equal(issued.Certificate.SerialNumber, issued.SerialNumberHex);
    }

    [Fact]
    public void Authority_key_identifier_names_the_issuing_key_and_crl_point_is_carried()
    {
        var certificate = Issue().Certificate;
        var issuingSki = _pki.Issuing.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
        var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single();
        Assert.Equal(Convert.FromHexString(issuingSki.SubjectKeyIdentifier!), aki.KeyIdentifier!.Value.ToArray());
        var cdp = certificate.Extensions["2.5.29.31"];
        Assert.NotNull(cdp);
        Assert.Contains(TestPki.CrlUrl.AbsoluteUri, System.Text.Encoding.ASCII.GetString(cdp.RawData));
        Assert.NotNull(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
    }

    [Fact]
    public void Crl_distribution_point_is_omitted_when_none_is_configured()
    {
        var authority = new DeviceCertificateAuthority(_pki.Issuing, _pki.IssuingKey, crlDistributionPoint: null);
        var certificate = authority.Issue(_pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        Assert.Null(certificate.Extensions["2.5.29.31"]);
    }

    [Fact]
    public void Issued_certificate_chains_to_the_root()
    {
        Assert.Equal(X509ChainStatusFlags.NoError, _pki.ChainStatus(Issue().Certificate, TestPki.Now.AddMinutes(1)));
    }

    [Fact]
    public void Issued_certificate_carries_the_requested_public_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var csr = CertificateRequestValidator.ValidateForEnrollment(TestPki.CreateCsr(key, "CN=robot-9"), "robot-9").Value!;
        var certificate = _pki.Authority.Issue(csr, "robot-9", TestPki.Now).Certificate;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("ünicode")]
    public void Invalid_device_ids_are_refused(string deviceId)
    {
        var csr = _pki.VerifiedCsr("robot-7");
        var error = Assert.Throws<ArgumentException>(() => _pki.Authority.Issue(csr, deviceId, TestPki.Now));
        Assert.Equal("deviceId", error.ParamName);
    }

    [Fact]
    public void Device_id_longer_than_a_common_name_allows_is_refused()
    {
        Assert.False(DeviceIdentityName.IsValidDeviceId(new string('a', 65)));
        Assert.True(DeviceIdentityName.IsValidDeviceId(new string('a', 64)));
    }

    [Fact]
    public void A_key_that_is_not_the_issuing_key_is_refused_at_construction()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Assert.Throws<ArgumentException>(() => new DeviceCertificateAuthority(_pki.Issuing, other, TestPki.CrlUrl));
        Assert.Equal("issuingKey", error.ParamName);
    }

    [Fact]
    public void A_non_ca_certificate_cannot_be_an_issuing_ca()
    {
        var leaf = Issue().Certificate;
        var error = Assert.Throws<ArgumentException>(() => new DeviceCertificateAuthority(leaf, _pki.IssuingKey, TestPki.CrlUrl));
        Assert.Equal("issuingCertificate", error.ParamName);
    }

    [Fact]
    public void Device_id_is_not_read_from_a_certificate_without_the_fleetward_urn()
    {
        Assert.False(DeviceIdentityName.TryGetDeviceId(_pki.Issuing, out _));
    }
}
