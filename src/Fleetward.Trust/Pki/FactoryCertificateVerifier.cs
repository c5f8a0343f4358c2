using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>The device a manufacturer certificate (IDevID) speaks for, as an enrollment group sees it.</summary>
public sealed record FactoryIdentity(string DeviceId, string SerialNumberHex, string Issuer);

/// <summary>
/// Checks the manufacturer certificate (IEEE 802.1AR IDevID) a device presents over TLS to /simpleenroll in an
/// enrollment group that trusts a factory CA: it must chain to one of that group's factory roots, be valid
/// now (IDevIDs often never expire: RFC 5280 4.1.2.5 99991231235959Z), allow TLS client authentication if it
/// restricts key usage, and name a device. The device id is the subject serialNumber attribute (IEEE 802.1AR 8.6),
/// or the CN when there is none.
/// </summary>
public sealed class FactoryCertificateVerifier
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private const string SerialNumberAttributeOid = "2.5.4.5";
    private const string CommonNameOid = "2.5.4.3";
    private readonly X509Certificate2Collection _anchors;
    private readonly X509Certificate2Collection _intermediates;

    /// <param name="factoryRoots">The manufacturer's self-signed root CA certificates: the only trust anchors.</param>
    /// <param name="factoryIntermediates">
    /// The manufacturer's line or batch CAs, used to build chains for devices that send only their own certificate.
    /// They are not anchors (.NET on Linux does not accept a non-self-signed anchor), so the root is always required.
    /// </param>
    public FactoryCertificateVerifier(IEnumerable<X509Certificate2> factoryRoots, IEnumerable<X509Certificate2>? factoryIntermediates = null)
    {
        ArgumentNullException.ThrowIfNull(factoryRoots);
        _anchors = new X509Certificate2Collection(factoryRoots.ToArray());
        if (_anchors.Count == 0)
        {
            throw new ArgumentException("At least one factory root CA certificate is required.", nameof(factoryRoots));
        }

        foreach (var root in _anchors)
        {
            if (!root.SubjectName.RawData.AsSpan().SequenceEqual(root.IssuerName.RawData))
            {
                throw new ArgumentException($"'{root.Subject}' is not a self-signed root; pass it among factoryIntermediates and add its root.", nameof(factoryRoots));
            }
        }

        _intermediates = new X509Certificate2Collection((factoryIntermediates ?? []).ToArray());
    }

    /// <param name="presentedIntermediates">Further certificates the device sent in its TLS chain; never trusted on their own.</param>
    public PkiResult<FactoryIdentity> Verify(X509Certificate2 certificate, IEnumerable<X509Certificate2> presentedIntermediates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(presentedIntermediates);

        // RFC 5280 6.1.3 (a)(2).
        if (now < new DateTimeOffset(certificate.NotBefore.ToUniversalTime()))
        {
            return Fail(PkiErrorCodes.FactoryCertificateNotYetValid, $"The factory certificate is valid only from {certificate.NotBefore.ToUniversalTime():O}.");
        }

        if (now > new DateTimeOffset(certificate.NotAfter.ToUniversalTime()))
        {
            return Fail(PkiErrorCodes.FactoryCertificateExpired, $"The factory certificate expired at {certificate.NotAfter.ToUniversalTime():O}.");
        }

        // RFC 5280 6.1 with the group's factory roots as the only anchors.
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_anchors);
            chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
            foreach (var intermediate in presentedIntermediates)
            {
                chain.ChainPolicy.ExtraStore.Add(intermediate);
            }

            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            var built = chain.Build(certificate);
            if (!built || chain.ChainElements.Count < 2 || !_anchors.Contains(chain.ChainElements[^1].Certificate))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
                return Fail(PkiErrorCodes.FactoryCertificateUntrusted, $"The factory certificate does not chain to this group's factory CA{(status.Length > 0 ? ": " + status : ".")}");
            }
        }

        // RFC 5280 4.2.1.12: when the certificate lists purposes, TLS client authentication must be among them.
        var ekus = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        if (ekus.Count > 1 || (ekus.Count == 1 && !ekus[0].EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value is ClientAuthOid or AnyExtendedKeyUsageOid)))
        {
            return Fail(PkiErrorCodes.FactoryCertificateNotForClientAuth, "The factory certificate does not allow TLS client authentication.");
        }

        var deviceId = DeviceIdFromSubject(certificate.SubjectName);
        if (!DeviceIdentityName.IsValidDeviceId(deviceId))
        {
            return Fail(PkiErrorCodes.FactoryCertificateWithoutDeviceId, "The factory certificate's subject has no serialNumber or CN usable as a device id (1-64 letters, digits, '.', '_', '-').");
        }

        return PkiResult<FactoryIdentity>.Success(new FactoryIdentity(deviceId, certificate.SerialNumber, certificate.Issuer));
    }

    private static string? DeviceIdFromSubject(X500DistinguishedName subject)
    {
        try
        {
            return SerialNumberOrCommonName(subject);
        }
        catch (CryptographicException)
        {
            // A manufacturer's unusual string encoding names no device we can use.
            return null;
        }
    }

    private static string? SerialNumberOrCommonName(X500DistinguishedName subject)
    {
        string? serialNumber = null;
        string? commonName = null;
        foreach (var rdn in subject.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements)
            {
                continue;
            }

            switch (rdn.GetSingleElementType().Value)
            {
                case SerialNumberAttributeOid: serialNumber ??= rdn.GetSingleElementValue(); break;
                case CommonNameOid: commonName ??= rdn.GetSingleElementValue(); break;
            }
        }

        return serialNumber ?? commonName;
    }

    private static PkiResult<FactoryIdentity> Fail(string code, string message) =>
        PkiResult<FactoryIdentity>.Failure(code, "clientCertificate", message);
}
