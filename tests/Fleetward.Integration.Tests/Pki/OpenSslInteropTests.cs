using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Keys;
using Fleetward.Trust.Pki;

namespace Fleetward.Integration.Tests.Pki;

/// <summary>
/// The device PKI judged by an independent implementation: the openssl CLI generates the requests and verifies
/// every chain, CRL, certs-only message and key file that Fleetward produces.
/// </summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private static readonly Uri CrlUrl = new("http://127.0.0.1:8443/pki/crl");
    private readonly TempDirectory _dir = new();
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly ECDsa _issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _issuing;
    private readonly DeviceCertificateAuthority _authority;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    public OpenSslInteropTests()
    {
        _root = CertificateAuthorityHierarchy.CreateRoot(_rootKey, new X500DistinguishedName("CN=Fleetward Root CA, O=Interop"), _now.AddHours(-1));
        _issuing = CertificateAuthorityHierarchy.CreateIssuing(_root, _rootKey, new PublicKey(_issuingKey), new X500DistinguishedName("CN=Fleetward Issuing CA, O=Interop"), _now.AddHours(-1), TimeSpan.FromDays(30));
        _authority = new DeviceCertificateAuthority(_issuing, _issuingKey, CrlUrl);
        File.WriteAllText(_dir.File("root.pem"), _root.ExportCertificatePem());
        File.WriteAllText(_dir.File("issuing.pem"), _issuing.ExportCertificatePem());
    }

    public void Dispose()
    {
        _rootKey.Dispose();
        _issuingKey.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Openssl_ec_p256_request_is_issued_and_the_chain_verifies()
    {
        var csr = OpenSslRequest("robot-1", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        var issued = IssueFor("robot-1", csr);
        AssertVerifies(issued);

        var text = ExternalTool.OpenSsl(_dir.Path, "x509", "-in", issued, "-noout", "-text");
        Assert.Contains("URI:urn:fleetward:device:robot-1", text);
        Assert.Contains("TLS Web Client Authentication", text);
        Assert.Contains("CA:FALSE", text);
        Assert.Contains("Digital Signature", text);
        Assert.Contains(CrlUrl.AbsoluteUri, text);
        Assert.Contains("Subject: CN = robot-1", text);
    }

    [Fact]
    public void Openssl_rsa_2048_request_is_issued_and_the_chain_verifies()
    {
        var csr = OpenSslRequest("robot-2", "rsa:2048");
        AssertVerifies(IssueFor("robot-2", csr));
    }

    [Fact]
    public void Openssl_rsa_1024_request_is_refused()
    {
        var csr = OpenSslRequest("robot-3", "rsa:1024");
        var error = CertificateRequestValidator.ValidateForEnrollment(csr, "robot-3").Error!;
        Assert.Equal(PkiErrorCodes.KeyTooWeak, error.Code);
        Assert.Contains("RSA 1024", error.Message);
    }

    [Fact]
    public void Openssl_p192_request_is_refused()
    {
        var csr = OpenSslRequest("robot-4", "ec", "-pkeyopt", "ec_paramgen_curve:prime192v1");
        var error = CertificateRequestValidator.ValidateForEnrollment(csr, "robot-4").Error!;
        Assert.Equal(PkiErrorCodes.KeyTooWeak, error.Code);
        Assert.Contains("P-192", error.Message);
    }

    [Fact]
    public void Openssl_reenrollment_request_with_the_same_subject_and_san_is_accepted()
    {
        var first = IssueFor("robot-5", OpenSslRequest("robot-5", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"));
        using var current = X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File(first)));
        var renewal = OpenSslRequest("robot-5", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-addext", "subjectAltName=URI:urn:fleetward:device:robot-5");
        var result = CertificateRequestValidator.ValidateForReenrollment(renewal, current);
        Assert.True(result.IsSuccess, result.Error?.ToString());

        var other = OpenSslRequest("robot-6", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-addext", "subjectAltName=URI:urn:fleetward:device:robot-5");
        Assert.Equal(PkiErrorCodes.SubjectMismatch, CertificateRequestValidator.ValidateForReenrollment(other, current).Error!.Code);
    }

    [Fact]
    public void Crl_verifies_with_openssl_and_revokes_the_listed_certificate()
    {
        var revokedPem = IssueFor("robot-7", OpenSslRequest("robot-7", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"));
        var goodPem = IssueFor("robot-8", OpenSslRequest("robot-8", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"));
        using var revoked = X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File(revokedPem)));
        var crl = _authority.BuildRevocationList(
            [new RevokedCertificate(revoked.SerialNumberBytes.ToArray(), _now, X509RevocationReason.KeyCompromise)],
            new BigInteger(7),
            _now,
            TimeSpan.FromHours(1));
        File.WriteAllBytes(_dir.File("crl.der"), crl);

        var verified = ExternalTool.OpenSsl(_dir.Path, "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "issuing.pem", "-verify", "-noout");
        Assert.Contains("verify OK", verified);
        var text = ExternalTool.OpenSsl(_dir.Path, "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text");
        Assert.Contains("X509v3 CRL Number: \n                7", text);
        Assert.Contains("Key Compromise", text);
        Assert.Contains(revoked.SerialNumber, text.Replace(":", "").ToUpperInvariant());

        ExternalTool.OpenSsl(_dir.Path, "crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem");
        var refused = ExternalTool.TryOpenSsl(_dir.Path, "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem", revokedPem);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("certificate revoked", refused.Output);
        Assert.Contains($"{goodPem}: OK", ExternalTool.OpenSsl(_dir.Path, "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem", goodPem));
    }

    [Fact]
    public void Certs_only_body_is_read_by_openssl_pkcs7()
    {
        File.WriteAllText(_dir.File("cacerts.b64"), EstWireFormat.EncodeBase64(EstWireFormat.EncodeCertsOnly([_issuing, _root])));
        ExternalTool.OpenSsl(_dir.Path, "base64", "-d", "-A", "-in", "cacerts.b64", "-out", "cacerts.p7");
        var certificates = ExternalTool.OpenSsl(_dir.Path, "pkcs7", "-inform", "DER", "-in", "cacerts.p7", "-print_certs", "-noout");
        Assert.Contains("CN = Fleetward Root CA", certificates);
        Assert.Contains("CN = Fleetward Issuing CA", certificates);
    }

    [Fact]
    public void Openssl_base64_with_line_breaks_is_a_valid_est_body()
    {
        ExternalTool.OpenSsl(_dir.Path, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "wrapped.key", "-subj", "/CN=robot-9", "-outform", "DER", "-out", "wrapped.der");
        ExternalTool.OpenSsl(_dir.Path, "base64", "-in", "wrapped.der", "-out", "wrapped.b64");
        var body = File.ReadAllText(_dir.File("wrapped.b64"));
        Assert.Contains('\n', body.TrimEnd());
        var der = EstWireFormat.DecodeBase64Body(body);
        Assert.True(der.IsSuccess, der.Error?.ToString());
        Assert.True(CertificateRequestValidator.ValidateForEnrollment(der.Value, "robot-9").IsSuccess);
    }

    [Fact]
    public void Encrypted_key_file_is_read_by_openssl_and_openssl_pbes2_files_are_read_back()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(_dir.File("fleetward.key"), EncryptedKeyFile.Protect(key, "s3cret passphrase", EncryptedKeyFile.MinimumIterations));
        var publicPem = ExternalTool.OpenSsl(_dir.Path, "pkey", "-in", "fleetward.key", "-passin", "pass:s3cret passphrase", "-pubout");
        Assert.Contains(key.ExportSubjectPublicKeyInfoPem(), publicPem);
        Assert.NotEqual(0, ExternalTool.TryOpenSsl(_dir.Path, "pkey", "-in", "fleetward.key", "-passin", "pass:wrong", "-pubout").ExitCode);

        ExternalTool.OpenSsl(_dir.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.key");
        ExternalTool.OpenSsl(_dir.Path, "pkcs8", "-topk8", "-in", "plain.key", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-iter", "200000", "-passout", "pass:other", "-out", "openssl.key");
        var opened = EncryptedKeyFile.Open(File.ReadAllText(_dir.File("openssl.key")), "other");
        Assert.True(opened.IsSuccess, opened.Error?.ToString());
        using var openedKey = opened.Value;
        var expected = ExternalTool.OpenSsl(_dir.Path, "pkey", "-in", "plain.key", "-pubout");
        Assert.Contains(((ECDsa)openedKey).ExportSubjectPublicKeyInfoPem(), expected);

        ExternalTool.OpenSsl(_dir.Path, "pkcs8", "-topk8", "-in", "plain.key", "-v2", "aes-256-cbc", "-passout", "pass:other", "-out", "weak.key");
        Assert.Equal(PkiErrorCodes.KeyEncryptionUnsupported, EncryptedKeyFile.Open(File.ReadAllText(_dir.File("weak.key")), "other").Error!.Code);
    }

    [Fact]
    public void Openssl_made_factory_idevid_is_accepted_for_its_manufacturer_only()
    {
        ExternalTool.OpenSsl(_dir.Path, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "factory.key", "-subj", "/O=Acme/CN=Acme Factory Root", "-days", "3650", "-out", "factory.pem");
        ExternalTool.OpenSsl(_dir.Path, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "idevid.key", "-subj", "/O=Acme/CN=Acme R2/serialNumber=ACME-42", "-out", "idevid.csr");
        File.WriteAllText(_dir.File("idevid.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
        ExternalTool.OpenSsl(_dir.Path, "x509", "-req", "-in", "idevid.csr", "-CA", "factory.pem", "-CAkey", "factory.key", "-CAcreateserial", "-days", "3650", "-extfile", "idevid.ext", "-out", "idevid.pem");

        using var factoryRoot = X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File("factory.pem")));
        using var idevid = X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File("idevid.pem")));
        // openssl stamps notBefore with the current second, which can be later than _now under load.
        var verifyAt = DateTimeOffset.UtcNow.AddMinutes(1);
        var accepted = new FactoryCertificateVerifier([factoryRoot]).Verify(idevid, [], verifyAt);
        Assert.True(accepted.IsSuccess, accepted.Error?.ToString());
        Assert.Equal("ACME-42", accepted.Value.DeviceId);

        var refused = new FactoryCertificateVerifier([_root]).Verify(idevid, [], verifyAt);
        Assert.Equal(PkiErrorCodes.FactoryCertificateUntrusted, refused.Error!.Code);
    }

    private byte[] OpenSslRequest(string deviceId, string newKey, params string[] extra)
    {
        var name = $"{deviceId}-{Guid.NewGuid():N}";
        ExternalTool.OpenSsl(_dir.Path, ["req", "-new", "-newkey", newKey, .. extra, "-nodes", "-keyout", name + ".key", "-subj", "/CN=" + deviceId, "-outform", "DER", "-out", name + ".csr"]);
        return File.ReadAllBytes(_dir.File(name + ".csr"));
    }

    private string IssueFor(string deviceId, byte[] csr)
    {
        var request = CertificateRequestValidator.ValidateForEnrollment(csr, deviceId);
        Assert.True(request.IsSuccess, request.Error?.ToString());
        var issued = _authority.Issue(request.Value, deviceId, _now);
        var file = $"{deviceId}-{issued.SerialNumberHex}.pem";
        File.WriteAllText(_dir.File(file), issued.Certificate.ExportCertificatePem());
        return file;
    }

    private void AssertVerifies(string certificateFile)
    {
        var output = ExternalTool.OpenSsl(_dir.Path, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "issuing.pem", certificateFile);
        Assert.Contains($"{certificateFile}: OK", output);
        Assert.Contains("issuing.pem: OK", ExternalTool.OpenSsl(_dir.Path, "verify", "-x509_strict", "-CAfile", "root.pem", "issuing.pem"));
    }
}
