using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// How a device id is written into and read back out of its certificate: the SAN URI
/// <c>urn:fleetward:device:&lt;id&gt;</c> is authoritative (RFC 5280 4.2.1.6), the subject CN only mirrors it
/// for humans. Ids are restricted so they need no escaping in a URN, a CN or a file name.
/// </summary>
public static class DeviceIdentityName
{
    public const string UriPrefix = "urn:fleetward:device:";

    /// <summary>RFC 5280 Appendix A ub-common-name: a CN holds at most 64 characters.</summary>
    public const int MaxLength = 64;

    /// <summary>True for 1..64 characters of ASCII letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public static bool IsValidDeviceId([NotNullWhen(true)] string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId) || deviceId.Length > MaxLength || !char.IsAsciiLetterOrDigit(deviceId[0]))
        {
            return false;
        }

        foreach (var c in deviceId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '.' && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    public static string ToUri(string deviceId)
    {
        RequireValid(deviceId);
        return UriPrefix + deviceId;
    }

    /// <summary>The subject every device certificate carries: exactly one RDN, CN = device id.</summary>
    public static X500DistinguishedName ToSubject(string deviceId)
    {
        RequireValid(deviceId);
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(deviceId);
        return builder.Build();
    }

    /// <summary>
    /// Reads the device id from the certificate's SAN URI; false when there is no SAN, no Fleetward URI,
    /// more than one, or the id is malformed. Used by mutual TLS to name the peer.
    /// </summary>
    public static bool TryGetDeviceId(X509Certificate2 certificate, [NotNullWhen(true)] out string? deviceId)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        deviceId = null;
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault();
        if (san is null)
        {
            return false;
        }

        string? found = null;
        foreach (var uri in SubjectAltNames.Uris(san.RawData))
        {
            if (!uri.StartsWith(UriPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (found is not null)
            {
                return false;
            }

            found = uri[UriPrefix.Length..];
        }

        if (!IsValidDeviceId(found))
        {
            return false;
        }

        deviceId = found;
        return true;
    }

    internal static void RequireValid(string deviceId)
    {
        if (!IsValidDeviceId(deviceId))
        {
            throw new ArgumentException(
                "deviceId must be 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit.",
                nameof(deviceId));
        }
    }
}
