using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// Creates the two-level CA: an offline root that signs exactly one thing in normal life (the issuing CA, and its
/// renewals), and the online issuing CA that signs device certificates and CRLs. Keeping the root offline means a
/// compromised server can be recovered by re-issuing the issuing CA, without touching device trust anchors.
/// Pure: the keys and the instant are passed in, nothing is stored.
/// </summary>
public static class CertificateAuthorityHierarchy
{
    public static readonly TimeSpan DefaultRootLifetime = TimeSpan.FromDays(20 * 365);
    public static readonly TimeSpan DefaultIssuingLifetime = TimeSpan.FromDays(5 * 365);

    /// <summary>
    /// Self-signed root. RFC 5280 4.2.1.9: basicConstraints critical, cA=TRUE, pathLenConstraint 1 (only the issuing
    /// CA may sit below it); 4.2.1.3: keyUsage critical keyCertSign | cRLSign; 4.2.1.2: SKI from the key;
    /// 4.2.1.1: AKI equal to the SKI (optional for self-signed, included so chain builders never guess).
    /// </summary>
    public static X509Certificate2 CreateRoot(
        AsymmetricAlgorithm rootKey,
        X500DistinguishedName subject,
        DateTimeOffset now,
        TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var (generator, hash) = CertificateSigner.For(rootKey);
        var request = new CertificateRequest(subject, CertificateSigner.PublicKeyOf(rootKey), hash);
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false);
        AddCaExtensions(request, pathLength: 1, ski, X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));

        var notAfter = now + (lifetime ?? DefaultRootLifetime);
        using var unsigned = request.Create(subject, generator, now, notAfter, CertificateSigner.NewSerialNumber());
        return X509CertificateLoader.LoadCertificate(unsigned.RawData);
    }

    /// <summary>
    /// The issuing CA certificate, signed by the root. RFC 5280 4.2.1.9: pathLenConstraint 0 (it may issue only
    /// end-entity certificates); validity is clipped to the root's (a child may not outlive its issuer, 6.1.3 (a)(2)).
    /// Only the issuing CA's public key is needed, so its private key can already live in an HSM.
    /// </summary>
    public static X509Certificate2 CreateIssuing(
        X509Certificate2 rootCertificate,
        AsymmetricAlgorithm rootKey,
        PublicKey issuingPublicKey,
        X500DistinguishedName subject,
        DateTimeOffset now,
        TimeSpan? lifetime = null,
        Uri? crlDistributionPoint = null)
    {
        ArgumentNullException.ThrowIfNull(rootCertificate);
        ArgumentNullException.ThrowIfNull(issuingPublicKey);
        ArgumentNullException.ThrowIfNull(subject);
        if (!CertificateSigner.Matches(rootKey, rootCertificate))
        {
            throw new ArgumentException("rootKey is not the private key of rootCertificate.", nameof(rootKey));
        }

        if (now < rootCertificate.NotBefore.ToUniversalTime() || now > rootCertificate.NotAfter.ToUniversalTime())
        {
            throw new ArgumentException("The root certificate is not valid at the given instant.", nameof(rootCertificate));
        }

        var (generator, hash) = CertificateSigner.For(rootKey);
        var request = new CertificateRequest(subject, issuingPublicKey, hash);
        var ski = new X509SubjectKeyIdentifierExtension(issuingPublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false);
        AddCaExtensions(request, pathLength: 0, ski, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(rootCertificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (crlDistributionPoint is not null)
        {
            // RFC 5280 4.2.1.13: where relying parties fetch the root's CRL that covers this certificate.
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlDistributionPoint.AbsoluteUri]));
        }

        var rootNotAfter = new DateTimeOffset(rootCertificate.NotAfter.ToUniversalTime());
        var notAfter = Min(now + (lifetime ?? DefaultIssuingLifetime), rootNotAfter);
        using var signed = request.Create(rootCertificate.SubjectName, generator, now, notAfter, CertificateSigner.NewSerialNumber());
        return X509CertificateLoader.LoadCertificate(signed.RawData);
    }

    private static void AddCaExtensions(
        CertificateRequest request,
        int pathLength,
        X509SubjectKeyIdentifierExtension ski,
        X509AuthorityKeyIdentifierExtension aki)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLength, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(aki);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
}
