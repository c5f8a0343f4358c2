using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>Who a verified client certificate speaks for.</summary>
public sealed record DeviceCertificateIdentity(string DeviceId, string SerialNumberHex, DateTimeOffset NotAfter);

/// <summary>
/// The certificate half of the device listener's mutual-TLS gate: does this client certificate chain to our root
/// through one of our issuing CAs, is it valid now, meant for client authentication, not revoked, and which device
/// does it name? The device's lifecycle state is checked by the caller, which owns the registry. Revocation is
/// decided from the revoked-serial set the caller keeps (the same data the CRL is built from), so a revocation takes
/// effect without waiting for a CRL to be fetched.
/// </summary>
public sealed class DeviceCertificateVerifier
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2Collection _issuing;
    private readonly HashSet<string> _issuingThumbprints;

    /// <param name="rootCertificate">The trust anchor; no system trust store is consulted.</param>
    /// <param name="issuingCertificates">Every issuing CA whose device certificates are still accepted (more than one during an issuing CA rollover).</param>
    public DeviceCertificateVerifier(X509Certificate2 rootCertificate, IEnumerable<X509Certificate2> issuingCertificates)
    {
        ArgumentNullException.ThrowIfNull(rootCertificate);
        ArgumentNullException.ThrowIfNull(issuingCertificates);
        _root = rootCertificate;
        _issuing = new X509Certificate2Collection(issuingCertificates.ToArray());
        if (_issuing.Count == 0)
        {
            throw new ArgumentException("At least one issuing CA certificate is required.", nameof(issuingCertificates));
        }

        _issuingThumbprints = _issuing.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).ToHashSet(StringComparer.Ordinal);
    }

    /// <param name="revokedSerialNumbers">Upper-case hex serial numbers (as <see cref="X509Certificate2.SerialNumber"/>) currently revoked.</param>
    public PkiResult<DeviceCertificateIdentity> Verify(X509Certificate2 certificate, DateTimeOffset now, IReadOnlySet<string> revokedSerialNumbers)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(revokedSerialNumbers);

        // RFC 5280 6.1.3 (a)(2): the current time must fall within the validity period.
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (now < notBefore)
        {
            return Fail(PkiErrorCodes.ClientCertificateNotYetValid, $"The client certificate is valid only from {notBefore:O}.");
        }

        if (now > notAfter)
        {
            return Fail(PkiErrorCodes.ClientCertificateExpired, $"The client certificate expired at {notAfter:O}; enroll again.");
        }

        // RFC 5280 6.1: path validation to our root only, at the given instant, without fetching anything.
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_root);
            chain.ChainPolicy.ExtraStore.AddRange(_issuing);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            var built = chain.Build(certificate);
            if (!built || chain.ChainElements.Count != 3
                || !_issuingThumbprints.Contains(chain.ChainElements[1].Certificate.GetCertHashString(HashAlgorithmName.SHA256)))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
                return Fail(PkiErrorCodes.ClientCertificateUntrusted, $"The client certificate was not issued by this fleet's issuing CA{(status.Length > 0 ? ": " + status : ".")}");
            }
        }

        // RFC 5280 4.2.1.12: the certificate must be meant for TLS client authentication.
        var ekus = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        if (ekus.Count != 1 || !ekus[0].EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthOid))
        {
            return Fail(PkiErrorCodes.ClientCertificateNotForClientAuth, "The client certificate is not issued for TLS client authentication.");
        }

        if (!DeviceIdentityName.TryGetDeviceId(certificate, out var deviceId))
        {
            return Fail(PkiErrorCodes.ClientCertificateWithoutDeviceId, $"The client certificate carries no single {DeviceIdentityName.UriPrefix}<id> subject alternative name.");
        }

        if (revokedSerialNumbers.Contains(certificate.SerialNumber))
        {
            return Fail(PkiErrorCodes.ClientCertificateRevoked, "The client certificate has been revoked.");
        }

        return PkiResult<DeviceCertificateIdentity>.Success(new DeviceCertificateIdentity(deviceId, certificate.SerialNumber, notAfter));
    }

    private static PkiResult<DeviceCertificateIdentity> Fail(string code, string message) =>
        PkiResult<DeviceCertificateIdentity>.Failure(code, "clientCertificate", message);
}
