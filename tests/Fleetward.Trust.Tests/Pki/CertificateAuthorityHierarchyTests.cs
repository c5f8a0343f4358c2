using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class CertificateAuthorityHierarchyTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Root_is_a_self_signed_ca_with_path_length_one()
    {
        var basic = _pki.Root.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.Critical);
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.HasPathLengthConstraint);
        Assert.Equal(1, basic.PathLengthConstraint);
        Assert.Equal(_pki.Root.SubjectName.RawData, _pki.Root.IssuerName.RawData);
    }

    [Fact]
    public void Ca_key_usage_is_certificate_and_crl_signing_only_and_critical()
    {
        foreach (var ca in new[] { _pki.Root, _pki.Issuing })
        {
            var usage = ca.Extensions.OfType<X509KeyUsageExtension>().Single();
            Assert.True(usage.Critical);
            Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        }
    }

    [Fact]
    public void P384_root_signs_with_ecdsa_sha384()
    {
        Assert.Equal("1.2.840.10045.4.3.3", _pki.Root.SignatureAlgorithm.Value);
        Assert.Equal("1.2.840.10045.4.3.3", _pki.Issuing.SignatureAlgorithm.Value);
    }

    [Fact]
    public void Issuing_ca_may_only_issue_end_entity_certificates()
    {
        var basic = _pki.Issuing.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.HasPathLengthConstraint);
        Assert.Equal(0, basic.PathLengthConstraint);
    }

    [Fact]
    public void Issuing_ca_authority_key_identifier_is_the_root_subject_key_identifier()
    {
        var rootSki = _pki.Root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
        var aki = _pki.Issuing.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single();
        Assert.Equal(Convert.FromHexString(rootSki.SubjectKeyIdentifier!), aki.KeyIdentifier!.Value.ToArray());
    }

    [Fact]
    public void Issuing_ca_chains_to_the_root()
    {
        Assert.Equal(X509ChainStatusFlags.NoError, _pki.ChainStatus(_pki.Issuing, TestPki.Now));
    }

    [Fact]
    public void Issuing_ca_does_not_outlive_the_root()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=Short Root"), TestPki.Now, TimeSpan.FromDays(30));
        using var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, new PublicKey(issuingKey), new X500DistinguishedName("CN=Issuing"), TestPki.Now, TimeSpan.FromDays(365));
        Assert.Equal(root.NotAfter, issuing.NotAfter);
    }

    [Fact]
    public void Issuing_ca_refuses_a_root_key_that_does_not_match_the_root_certificate()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var error = Assert.Throws<ArgumentException>(() => CertificateAuthorityHierarchy.CreateIssuing(
            _pki.Root, otherKey, new PublicKey(_pki.IssuingKey), new X500DistinguishedName("CN=X"), TestPki.Now));
        Assert.Equal("rootKey", error.ParamName);
    }

    [Fact]
    public void Issuing_ca_is_not_created_outside_the_root_validity()
    {
        var error = Assert.Throws<ArgumentException>(() => CertificateAuthorityHierarchy.CreateIssuing(
            _pki.Root, _pki.RootKey, new PublicKey(_pki.IssuingKey), new X500DistinguishedName("CN=X"), TestPki.Now.AddYears(-1)));
        Assert.Equal("rootCertificate", error.ParamName);
    }

    [Fact]
    public void Rsa_root_is_supported()
    {
        using var rsa = RSA.Create(2048);
        using var root = CertificateAuthorityHierarchy.CreateRoot(rsa, new X500DistinguishedName("CN=RSA Root"), TestPki.Now);
        Assert.Equal("1.2.840.113549.1.1.11", root.SignatureAlgorithm.Value);
    }
}
