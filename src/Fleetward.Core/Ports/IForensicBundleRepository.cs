namespace Fleetward.Core.Ports;

/// <summary>
/// Evidence a device uploaded in answer to one upload-forensics command: kept whole with its SHA-256 so an
/// investigator can prove the bytes downloaded later are the bytes the device sent.
/// </summary>
public sealed record ForensicBundleInfo(
    string Id,
    string DeviceId,
    string CommandId,
    string? IncidentId,
    string Sha256Hex,
    long SizeBytes,
    DateTimeOffset ReceivedAt);

/// <summary>Forensic bundles per device; one per command, never overwritten.</summary>
public interface IForensicBundleRepository
{
    /// <summary>Stores the bundle; false when the command already has one.</summary>
    Task<bool> InsertAsync(ForensicBundleInfo info, byte[] content, CancellationToken cancellationToken = default);

    /// <summary>The device's bundles, newest first, without their content.</summary>
    Task<IReadOnlyList<ForensicBundleInfo>> ListForDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>One bundle of the device with its content, or null.</summary>
    Task<(ForensicBundleInfo Info, byte[] Content)?> GetAsync(string deviceId, string id, CancellationToken cancellationToken = default);
}
