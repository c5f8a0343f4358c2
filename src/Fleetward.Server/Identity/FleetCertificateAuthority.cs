using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Keys;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>
/// Where the device CA lives, as recorded by <c>fleetward ca init</c>: the root and issuing certificates (public), and
/// the issuing key as an encrypted PKCS#8 file or a PKCS#11 URI. The root key is never listed: it stays offline.
/// The issuing key's passphrase (file) or PIN (HSM) comes from <see cref="PassphraseVariable"/>, never the file.
/// </summary>
public sealed record CertificateAuthorityConfiguration(string RootCertificatePath, string IssuingCertificatePath, string IssuingKey)
{
    /// <summary>The environment variable holding the issuing key's passphrase (file keystore) or PIN (PKCS#11).</summary>
    public const string PassphraseVariable = "FLEETWARD_ISSUING_KEY_PASSPHRASE";

    public bool IssuingKeyIsPkcs11 => IssuingKey.StartsWith("pkcs11:", StringComparison.Ordinal);
}

/// <summary>
/// The fleet's device CA as the online server holds it: the root certificate (trust anchor only), the issuing CA that
/// signs device certificates and CRLs through a signing handle (software or HSM), and the verifier for client
/// certificates. One instance per server, shared by EST, the TLS handshake and the CRL.
/// </summary>
public sealed class FleetCertificateAuthority : IDisposable
{
    private readonly AsymmetricAlgorithm _issuingKey;

    public FleetCertificateAuthority(X509Certificate2 root, X509Certificate2 issuing, AsymmetricAlgorithm issuingKey, Uri crlDistributionPoint)
    {
        Root = root;
        Issuing = issuing;
        _issuingKey = issuingKey;
        Authority = new DeviceCertificateAuthority(issuing, issuingKey, crlDistributionPoint);
        Verifier = new DeviceCertificateVerifier(root, [issuing]);
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Issuing { get; }

    public DeviceCertificateAuthority Authority { get; }

    public DeviceCertificateVerifier Verifier { get; }

    /// <summary>True when <paramref name="certificate"/> names our issuing CA as its issuer (a device certificate, valid or not).</summary>
    public bool IsIssuerOf(X509Certificate2 certificate) =>
        certificate.IssuerName.RawData.AsSpan().SequenceEqual(Issuing.SubjectName.RawData);

    /// <summary>
    /// Loads the CA the configuration names. The issuing key is opened with <paramref name="passphrase"/>; a wrong one
    /// fails here, at start, rather than at the first enrollment.
    /// </summary>
    /// <exception cref="InvalidOperationException">A file is unreadable, the passphrase is wrong, or the key does not match; the message says which.</exception>
    public static FleetCertificateAuthority Load(CertificateAuthorityConfiguration configuration, string passphrase, Uri crlDistributionPoint)
    {
        var root = X509Certificate2.CreateFromPem(File.ReadAllText(configuration.RootCertificatePath));
        var issuing = X509Certificate2.CreateFromPem(File.ReadAllText(configuration.IssuingCertificatePath));
        AsymmetricAlgorithm key;
        if (configuration.IssuingKeyIsPkcs11)
        {
            key = Pkcs11KeyStore.OpenPrivateKey(Pkcs11KeyUri.Parse(configuration.IssuingKey), passphrase);
        }
        else
        {
            var opened = EncryptedKeyFile.Open(File.ReadAllText(configuration.IssuingKey), passphrase);
            key = opened.IsSuccess ? opened.Value : throw new InvalidOperationException($"{configuration.IssuingKey}: {opened.Error.Message}");
        }

        try
        {
            return new FleetCertificateAuthority(root, issuing, key, crlDistributionPoint);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new InvalidOperationException($"{configuration.IssuingKey} does not belong to {configuration.IssuingCertificatePath}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A TLS server certificate for the device listener, signed by the issuing CA (fresh key each start), so devices
    /// need only the fleet root (from /cacerts) to authenticate the server. EKU serverAuth; SAN = the listener's host.
    /// </summary>
    public X509Certificate2 IssueListenerCertificate(string host, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=fleetward device listener"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address) && !address.Equals(IPAddress.Any))
        {
            san.AddIpAddress(address);
        }
        else
        {
            san.AddDnsName(host is "*" or "+" or "0.0.0.0" ? "localhost" : host);
        }

        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Issuing, true, false));
        var generator = _issuingKey switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("The issuing key is neither ECDSA nor RSA."),
        };
        var notAfter = now + lifetime < Issuing.NotAfter.ToUniversalTime() ? now + lifetime : new DateTimeOffset(Issuing.NotAfter.ToUniversalTime());
        using var certificate = request.Create(Issuing.SubjectName, generator, now - DeviceCertificateAuthority.ClockSkewAllowance, notAfter, RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F | 0x01) : b).ToArray());
        using var withKey = certificate.CopyWithPrivateKey(key);
        // Re-import through PKCS#12 so Kestrel gets a certificate whose key lives with it (SslStream on Linux needs that).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose() => _issuingKey.Dispose();
}
