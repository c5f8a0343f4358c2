using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Integration.Tests.Pki;

/// <summary>
/// Certificate requests written by strongSwan's pki tool (the second independent EST client of issue 3) pass the
/// validator, including its quirks: an empty SAN when it cannot encode a URN, challengePassword, a template extension.
/// </summary>
public sealed class StrongSwanRequestTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("ecdsa", 256)]
    [InlineData("ecdsa", 384)]
    [InlineData("rsa", 2048)]
    public void Pki_request_is_accepted_and_issued(string type, int size)
    {
        var csr = PkiRequest(type, size, "--dn", "CN=robot-1");
        var request = CertificateRequestValidator.ValidateForEnrollment(csr, "robot-1");
        Assert.True(request.IsSuccess, request.Error?.ToString());

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=SW Root"), now.AddHours(-1));
        using var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, new PublicKey(issuingKey), new X500DistinguishedName("CN=SW Issuing"), now.AddHours(-1));
        var certificate = new DeviceCertificateAuthority(issuing, issuingKey, null).Issue(request.Value, "robot-1", now).Certificate;
        File.WriteAllText(_dir.File("root.pem"), root.ExportCertificatePem());
        File.WriteAllText(_dir.File("issuing.pem"), issuing.ExportCertificatePem());
        File.WriteAllText(_dir.File("device.pem"), certificate.ExportCertificatePem());
        Assert.Contains("device.pem: OK", ExternalTool.OpenSsl(_dir.Path, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "device.pem"));
    }

    [Fact]
    public void Pki_request_with_password_profile_and_an_unencodable_urn_san_is_accepted()
    {
        var csr = PkiRequest("ecdsa", 256, "--dn", "CN=robot-2", "--san", "urn:fleetward:device:robot-2", "--profile", "client", "--password", "one-time-token");
        var request = CertificateRequestValidator.ValidateForEnrollment(csr, "robot-2");
        Assert.True(request.IsSuccess, request.Error?.ToString());
    }

    [Fact]
    public void Pki_rsa_1024_request_is_refused()
    {
        var csr = PkiRequest("rsa", 1024, "--dn", "CN=robot-3");
        Assert.Equal(PkiErrorCodes.KeyTooWeak, CertificateRequestValidator.ValidateForEnrollment(csr, "robot-3").Error!.Code);
    }

    private byte[] PkiRequest(string type, int size, params string[] requestOptions)
    {
        var key = ExternalTool.RunOk("pki", "strongswan-pki", ["--gen", "--type", type, "--size", size.ToString(), "--outform", "pem"], _dir.Path).Trim();
        var keyFile = $"{type}-{size}-{Guid.NewGuid():N}.pem";
        File.WriteAllText(_dir.File(keyFile), StandardOutputPem(key));
        var pem = ExternalTool.RunOk("pki", "strongswan-pki", ["--req", "--in", keyFile, "--type", type, .. requestOptions, "--outform", "pem"], _dir.Path);
        return PemEncoding.TryFind(pem, out var fields) && pem[fields.Label] is "CERTIFICATE REQUEST"
            ? Convert.FromBase64String(pem[fields.Base64Data].ToString())
            : throw new InvalidOperationException($"pki --req wrote no certificate request:\n{pem}");
    }

    /// <summary>pki writes plugin warnings to stderr; keep only the PEM block.</summary>
    private static string StandardOutputPem(string output)
    {
        var start = output.IndexOf("-----BEGIN", StringComparison.Ordinal);
        Assert.True(start >= 0, $"pki --gen wrote no PEM key:\n{output}");
        return output[start..] + "\n";
    }
}
