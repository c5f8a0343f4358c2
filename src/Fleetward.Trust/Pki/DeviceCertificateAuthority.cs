using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>One entry of a CRL: which certificate, since when, and why (RFC 5280 5.3.1).</summary>
public sealed record RevokedCertificate(byte[] SerialNumber, DateTimeOffset RevokedAt, X509RevocationReason Reason);

/// <summary>A device certificate just issued, with the facts the registry and the audit record keep.</summary>
public sealed record IssuedDeviceCertificate(
    X509Certificate2 Certificate,
    string DeviceId,
    string SerialNumberHex,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter);

/// <summary>
/// The online issuing CA: turns verified certificate requests into short-lived device certificates and signs the
/// CRL. It holds only a signing handle to the issuing key (software or HSM), never key bytes. Pure apart from the
/// random serial numbers: the instant and lifetime are passed in.
/// </summary>
public sealed class DeviceCertificateAuthority
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    /// <summary>notBefore is set this far in the past so a device whose clock runs slightly behind accepts its new certificate at once.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(398);

    private readonly X509SignatureGenerator _generator;
    private readonly HashAlgorithmName _hash;
    private readonly X509AuthorityKeyIdentifierExtension _authorityKeyIdentifier;
    private readonly X509Extension? _crlDistributionPoint;

    /// <param name="issuingCertificate">The issuing CA certificate (public part only is used).</param>
    /// <param name="issuingKey">Its private key; checked against the certificate so a misconfigured key fails at start, not per device.</param>
    /// <param name="crlDistributionPoint">The stable URL where this CA's CRL is served (RFC 5280 4.2.1.13), or null to omit the extension.</param>
    public DeviceCertificateAuthority(X509Certificate2 issuingCertificate, AsymmetricAlgorithm issuingKey, Uri? crlDistributionPoint)
    {
        ArgumentNullException.ThrowIfNull(issuingCertificate);
        ArgumentNullException.ThrowIfNull(issuingKey);
        var basic = issuingCertificate.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault();
        if (basic is null || !basic.CertificateAuthority)
        {
            throw new ArgumentException("The issuing certificate is not a CA certificate (RFC 5280 4.2.1.9).", nameof(issuingCertificate));
        }

        var usage = issuingCertificate.Extensions.OfType<X509KeyUsageExtension>().SingleOrDefault();
        if (usage is null || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign) || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign))
        {
            throw new ArgumentException("The issuing certificate must allow keyCertSign and cRLSign (RFC 5280 4.2.1.3).", nameof(issuingCertificate));
        }

        if (!CertificateSigner.Matches(issuingKey, issuingCertificate))
        {
            throw new ArgumentException("issuingKey is not the private key of issuingCertificate.", nameof(issuingKey));
        }

        if (crlDistributionPoint is not null && !crlDistributionPoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The CRL distribution point must be an absolute URL.", nameof(crlDistributionPoint));
        }

        IssuingCertificate = issuingCertificate;
        CrlDistributionPoint = crlDistributionPoint;
        (_generator, _hash) = CertificateSigner.For(issuingKey);
        _authorityKeyIdentifier = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuingCertificate, includeKeyIdentifier: true, includeIssuerAndSerial: false);
        _crlDistributionPoint = crlDistributionPoint is null
            ? null
            : CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlDistributionPoint.AbsoluteUri]);
    }

    public X509Certificate2 IssuingCertificate { get; }

    public Uri? CrlDistributionPoint { get; }

    /// <summary>
    /// Issues the device certificate. Identity comes from <paramref name="deviceId"/> (established by authentication),
    /// never from the request's subject or extensions, which are not copied. RFC 5280 profile:
    /// 4.1.2.2 random positive 16-octet serial; 4.1.2.5 validity [now - skew, now + lifetime], clipped to the issuing
    /// CA's notAfter; 4.1.2.6 subject CN = device id; 4.2.1.6 SAN URI urn:fleetward:device:&lt;id&gt; (critical=false
    /// because the subject is not empty); 4.2.1.9 basicConstraints cA=FALSE; 4.2.1.3 keyUsage digitalSignature
    /// (critical); 4.2.1.12 EKU id-kp-clientAuth; 4.2.1.1 AKI, 4.2.1.2 SKI; 4.2.1.13 CRL distribution point.
    /// </summary>
    public IssuedDeviceCertificate Issue(VerifiedCertificateRequest request, string deviceId, DateTimeOffset now, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        DeviceIdentityName.RequireValid(deviceId);
        var validFor = lifetime ?? DefaultLifetime;
        if (validFor < MinimumLifetime || validFor > MaximumLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), validFor, $"A device certificate lifetime must be between {MinimumLifetime} and {MaximumLifetime}.");
        }

        var caNotBefore = new DateTimeOffset(IssuingCertificate.NotBefore.ToUniversalTime());
        var caNotAfter = new DateTimeOffset(IssuingCertificate.NotAfter.ToUniversalTime());
        if (now < caNotBefore || now >= caNotAfter)
        {
            throw new InvalidOperationException($"The issuing CA certificate is not valid at {now:O} (valid {caNotBefore:O} to {caNotAfter:O}).");
        }

        var notBefore = Max(now - ClockSkewAllowance, caNotBefore);
        var notAfter = Min(now + validFor, caNotAfter);

        var certificateRequest = new CertificateRequest(DeviceIdentityName.ToSubject(deviceId), request.PublicKey, _hash);
        var extensions = certificateRequest.CertificateExtensions;
        extensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        extensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        extensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(DeviceIdentityName.ToUri(deviceId)));
        extensions.Add(san.Build(critical: false));
        extensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        extensions.Add(_authorityKeyIdentifier);
        if (_crlDistributionPoint is not null)
        {
            extensions.Add(_crlDistributionPoint);
        }

        var serial = CertificateSigner.NewSerialNumber();
        using var signed = certificateRequest.Create(IssuingCertificate.SubjectName, _generator, notBefore, notAfter, serial);
        var certificate = X509CertificateLoader.LoadCertificate(signed.RawData);
        return new IssuedDeviceCertificate(certificate, deviceId, Convert.ToHexString(serial), notBefore, notAfter);
    }

    /// <summary>
    /// Builds the CRL for this CA (RFC 5280 5.1). <paramref name="crlNumber"/> is the caller's persistent counter and
    /// must increase with every CRL (5.2.3: monotonically increasing, at most 20 octets). thisUpdate = now (5.1.2.4),
    /// nextUpdate = now + validity (5.1.2.5, always present); AKI (5.2.1) identifies the signing key. Entries carry
    /// their revocation date (5.3.1) and reason code unless it is "unspecified" (5.3.1 says omit it then).
    /// </summary>
    public byte[] BuildRevocationList(IEnumerable<RevokedCertificate> revoked, BigInteger crlNumber, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        if (crlNumber.Sign < 0 || crlNumber.GetByteCount() > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(crlNumber), crlNumber, "A CRL number is a non-negative integer of at most 20 octets (RFC 5280 5.2.3).");
        }

        if (validity <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(validity), validity, "The CRL validity must be positive.");
        }

        var builder = new CertificateRevocationListBuilder();
        foreach (var entry in revoked)
        {
            if (entry.SerialNumber is not { Length: > 0 and <= 20 })
            {
                throw new ArgumentException("A revoked serial number has 1 to 20 octets (RFC 5280 4.1.2.2).", nameof(revoked));
            }

            builder.AddEntry(entry.SerialNumber, entry.RevokedAt, entry.Reason == X509RevocationReason.Unspecified ? null : entry.Reason);
        }

        return builder.Build(IssuingCertificate.SubjectName, _generator, crlNumber, now + validity, _hash, _authorityKeyIdentifier, now);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
