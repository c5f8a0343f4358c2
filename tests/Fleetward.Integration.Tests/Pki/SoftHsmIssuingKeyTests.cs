using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Keys;
using Fleetward.Trust.Pki;

namespace Fleetward.Integration.Tests.Pki;

/// <summary>
/// Issue 3's HSM promise: an issuing CA key held in a PKCS#11 token (SoftHSM2) signs device certificates and CRLs
/// that openssl accepts, and the key cannot be taken out of the token.
/// </summary>
public sealed class SoftHsmIssuingKeyTests : IClassFixture<SoftHsmToken>, IDisposable
{
    private readonly SoftHsmToken _hsm;
    private readonly TempDirectory _dir = new();

    public SoftHsmIssuingKeyTests(SoftHsmToken hsm)
    {
        _hsm = hsm;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hsm_issuing_key_issues_device_certificates_and_crls_that_openssl_verifies()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=HSM Test Root"), now.AddHours(-1));
        var issuingPublicKey = new PublicKey((ECDsa)_hsm.Key);
        using var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, issuingPublicKey, new X500DistinguishedName("CN=HSM Issuing CA"), now.AddHours(-1), TimeSpan.FromDays(7));
        var authority = new DeviceCertificateAuthority(issuing, _hsm.Key, new Uri("http://127.0.0.1:8443/pki/crl"));

        ExternalTool.OpenSsl(_dir.Path, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "device.key", "-subj", "/CN=hsm-robot-1", "-outform", "DER", "-out", "device.csr");
        var request = CertificateRequestValidator.ValidateForEnrollment(File.ReadAllBytes(_dir.File("device.csr")), "hsm-robot-1");
        Assert.True(request.IsSuccess, request.Error?.ToString());
        var issued = authority.Issue(request.Value, "hsm-robot-1", now);

        File.WriteAllText(_dir.File("root.pem"), root.ExportCertificatePem());
        File.WriteAllText(_dir.File("issuing.pem"), issuing.ExportCertificatePem());
        File.WriteAllText(_dir.File("device.pem"), issued.Certificate.ExportCertificatePem());
        var verified = ExternalTool.OpenSsl(_dir.Path, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "device.pem");
        Assert.Contains("device.pem: OK", verified);

        var crl = authority.BuildRevocationList(
            [new RevokedCertificate(issued.Certificate.SerialNumberBytes.ToArray(), now, X509RevocationReason.KeyCompromise)], BigInteger.One, now, TimeSpan.FromHours(1));
        File.WriteAllBytes(_dir.File("crl.der"), crl);
        Assert.Contains("verify OK", ExternalTool.OpenSsl(_dir.Path, "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "issuing.pem", "-verify", "-noout"));
    }

    [Fact]
    public void Hsm_key_is_sensitive_and_never_extractable_in_the_token()
    {
        var objects = _hsm.Pkcs11Tool("--login", "--pin", _hsm.Pin, "--list-objects", "--type", "privkey");
        Assert.Contains($"label:      {SoftHsmToken.KeyLabel}", objects);
        Assert.Contains("Access:     sensitive, always sensitive, never extractable, local", objects);
    }

    [Fact]
    public void Hsm_key_cannot_be_exported_through_dotnet()
    {
        var key = (ECDsa)_hsm.Key;
        // Exporting through the engine either fails or yields no secret: libp11 hands OpenSSL a key whose scalar
        // is not present, so whatever "private" bytes come back cannot sign for the public key.
        byte[]? exported = null;
        try
        {
            exported = key.ExportParameters(includePrivateParameters: true).D;
        }
        catch (CryptographicException)
        {
        }

        if (exported is not null)
        {
            Assert.True(exported.All(b => b == 0), "The private scalar of an HSM key must not leave the token.");
        }

        Assert.ThrowsAny<CryptographicException>(() => key.ExportPkcs8PrivateKey());
        Assert.ThrowsAny<CryptographicException>(() => key.ExportEncryptedPkcs8PrivateKey("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
    }

    [Fact]
    public void Hsm_key_signs_through_the_engine()
    {
        var data = "fleetward"u8.ToArray();
        var key = (ECDsa)_hsm.Key;
        using var publicOnly = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        Assert.True(publicOnly.VerifyData(data, key.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Missing_key_fails_naming_the_object_but_never_the_pin()
    {
        var missing = new Pkcs11KeyUri(SoftHsmToken.TokenLabel, "no-such-key");
        var error = Assert.ThrowsAny<CryptographicException>(() => Pkcs11KeyStore.OpenPrivateKey(missing, _hsm.Pin));
        Assert.Contains("no-such-key", error.Message);
        Assert.DoesNotContain(_hsm.Pin, error.Message);
    }

    [Fact]
    public void Token_refuses_a_wrong_pin()
    {
        // PKCS#11 login state is per process, so a fresh openssl process shows the token's own PIN check.
        var wrong = ExternalTool.Run(
            "openssl",
            "openssl",
            ["pkey", "-engine", "pkcs11", "-inform", "engine", "-in", $"{_hsm.KeyUri};pin-value=000000", "-pubout"],
            _dir.Path,
            _hsm.Environment);
        Assert.NotEqual(0, wrong.ExitCode);
        var right = ExternalTool.RunOk(
            "openssl",
            "openssl",
            ["pkey", "-engine", "pkcs11", "-inform", "engine", "-in", $"{_hsm.KeyUri};pin-value={_hsm.Pin}", "-pubout"],
            _dir.Path,
            _hsm.Environment);
        Assert.Contains(((ECDsa)_hsm.Key).ExportSubjectPublicKeyInfoPem(), right);
    }
}
