using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// A PKCS#10 request whose self-signature verified and whose key passed the key policy. Only
/// <see cref="CertificateRequestValidator"/> creates one, so <see cref="DeviceCertificateAuthority"/> cannot be
/// handed a request that skipped proof of possession.
/// </summary>
public sealed class VerifiedCertificateRequest
{
    internal VerifiedCertificateRequest(
        byte[] der,
        X500DistinguishedName subject,
        PublicKey publicKey,
        string keyDescription,
        string signatureAlgorithmOid,
        IReadOnlyList<X509Extension> requestedExtensions)
    {
        Der = der;
        Subject = subject;
        PublicKey = publicKey;
        KeyDescription = keyDescription;
        SignatureAlgorithmOid = signatureAlgorithmOid;
        RequestedExtensions = requestedExtensions;
    }

    /// <summary>The request exactly as received (DER).</summary>
    public ReadOnlyMemory<byte> Der { get; }

    public X500DistinguishedName Subject { get; }

    public PublicKey PublicKey { get; }

    /// <summary>"ECDSA P-256", "ECDSA P-384" or "RSA 3072": for audit records and operator views.</summary>
    public string KeyDescription { get; }

    public string SignatureAlgorithmOid { get; }

    /// <summary>Extensions from the PKCS#9 extensionRequest attribute (RFC 2985 5.4.2). Informational: the CA never copies them.</summary>
    public IReadOnlyList<X509Extension> RequestedExtensions { get; }

    public X509Extension? RequestedSubjectAlternativeName =>
        RequestedExtensions.FirstOrDefault(e => e.Oid?.Value == CertificateRequestValidator.SubjectAltNameOid);
}
