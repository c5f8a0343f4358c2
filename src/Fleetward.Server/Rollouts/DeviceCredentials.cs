using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Policy;
using Fleetward.Server.Devices;
using Fleetward.Server.Identity;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Rollouts;

/// <summary>Turns the connection's authenticated device into the facts the zero-trust gate checks.</summary>
public static class DeviceCredentials
{
    /// <summary>
    /// Serial, validity window and revocation of the presented certificate, revocation asked afresh for this request
    /// (seed 004: trust is never carried over from the handshake). The device id it was issued to is the SAN URI the
    /// device CA writes (RFC 5280 4.2.1.6), falling back to the subject common name.
    /// </summary>
    public static async Task<DeviceCredential> FromAsync(AuthenticatedDevice device, IDeviceRevocationLookup revocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var certificate = device.Certificate;
        return new DeviceCredential(
            certificate.SerialNumber,
            DeviceIdentityName.TryGetDeviceId(certificate, out var deviceId) ? deviceId : certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false),
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            await revocation.IsRevokedAsync(certificate.SerialNumber, cancellationToken));
    }
}
