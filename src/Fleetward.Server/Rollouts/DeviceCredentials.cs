using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Policy;
using Fleetward.Server.Devices;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Whether a device certificate has been revoked, asked afresh at every check-in (seed 004: trust is never carried
/// over from the handshake). Device identity registers the implementation backed by its revocation list.
/// </summary>
public interface ICertificateRevocationLookup
{
    bool IsRevoked(X509Certificate2 certificate);
}

/// <summary>
/// The lookup in force until device identity registers its own: no revocation list exists, so nothing is revoked.
/// Safe only because the device listener admits no certificate at all until a device CA is configured.
/// </summary>
public sealed class NoRevocationList : ICertificateRevocationLookup
{
    public bool IsRevoked(X509Certificate2 certificate) => false;
}

/// <summary>Turns the connection's authenticated device into the facts the zero-trust gate checks.</summary>
public static class DeviceCredentials
{
    /// <summary>
    /// Serial, validity window and revocation of the presented certificate; the device id it was issued to is its
    /// subject common name (the identity the device CA writes).
    /// </summary>
    public static DeviceCredential From(AuthenticatedDevice device, ICertificateRevocationLookup revocation)
    {
        ArgumentNullException.ThrowIfNull(device);
        var certificate = device.Certificate;
        return new DeviceCredential(
            certificate.SerialNumber,
            certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false),
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            revocation.IsRevoked(certificate));
    }
}
