namespace Fleetward.Core.Ports;

/// <summary>
/// A device certificate as the registry keeps it: enough to rebuild the CRL, answer "which certificates does this
/// device hold", and prove later what was issued (the DER itself).
/// </summary>
public sealed record StoredDeviceCertificate(
    string SerialNumberHex,
    string DeviceId,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset IssuedAt,
    DateTimeOffset? RevokedAt,
    string? RevocationReason,
    byte[] Der);

/// <summary>Issued device certificates, their revocation, and the CRL number counter (RFC 5280 5.2.3).</summary>
public interface ICertificateRepository
{
    /// <summary>Stores a newly issued certificate; a duplicate serial number violates a unique constraint (DbException).</summary>
    Task InsertAsync(StoredDeviceCertificate certificate, CancellationToken cancellationToken = default);

    Task<StoredDeviceCertificate?> GetAsync(string serialNumberHex, CancellationToken cancellationToken = default);

    /// <summary>The device's certificates, newest first.</summary>
    Task<IReadOnlyList<StoredDeviceCertificate>> ListForDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Every revoked certificate that has not yet expired at <paramref name="now"/> (expired ones may leave the CRL, RFC 5280 3.3).</summary>
    Task<IReadOnlyList<StoredDeviceCertificate>> ListRevokedAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Revokes every not-yet-revoked certificate of the device and returns the ones this call revoked.</summary>
    Task<IReadOnlyList<StoredDeviceCertificate>> RevokeAllForDeviceAsync(string deviceId, DateTimeOffset at, string reason, CancellationToken cancellationToken = default);

    /// <summary>Increments and returns the CRL number; starts at 1.</summary>
    Task<long> NextCrlNumberAsync(CancellationToken cancellationToken = default);
}
