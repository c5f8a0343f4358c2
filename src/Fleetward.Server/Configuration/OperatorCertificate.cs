using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Server.Configuration;

/// <summary>
/// The operator listener's TLS identity when the operator brings none: a self-signed ECDSA P-256
/// certificate (RFC 5280 profile: serverAuth EKU, SANs for loopback and this host) that clients pin
/// from the data directory's operator-ca.pem instead of trusting any public CA.
/// </summary>
public static class OperatorCertificate
{
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(825);

    public static X509Certificate2 CreateSelfSigned(DateTimeOffset now, TimeSpan validity, IEnumerable<string> extraDnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Fleetward operator listener", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        foreach (var dnsName in extraDnsNames.Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            names.AddDnsName(dnsName);
        }
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "serverAuth")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Backdate a little so a client whose clock runs slightly behind still accepts it.
        return request.CreateSelfSigned(now.AddMinutes(-5), now + validity);
    }

    /// <summary>Writes the certificate (PEM) and its PKCS#8 private key (PEM, mode 0600, created exclusively).</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("The certificate has no ECDSA private key.", nameof(certificate));
        WriteExclusive(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteExclusive(certificatePath, certificate.ExportCertificatePem() + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>Loads a certificate and its private key from PEM files.</summary>
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath) =>
        X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

    private static void WriteExclusive(string path, string text, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
