using Fleetward.Core.Incidents;

namespace Fleetward.Core.Ports;

/// <summary>Where a queued device command stands. Pending and delivered ones are still offered to the device until they expire.</summary>
public enum DeviceCommandStatus
{
    Pending,
    Delivered,
    Completed,
    Refused,
    Failed,
}

/// <summary>Stable lower-case names of <see cref="DeviceCommandStatus"/>, as stored and shown.</summary>
public static class DeviceCommandStatusNames
{
    public static string ToName(this DeviceCommandStatus status) => status switch
    {
        DeviceCommandStatus.Pending => "pending",
        DeviceCommandStatus.Delivered => "delivered",
        DeviceCommandStatus.Completed => "completed",
        DeviceCommandStatus.Refused => "refused",
        DeviceCommandStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out DeviceCommandStatus status)
    {
        foreach (var s in Enum.GetValues<DeviceCommandStatus>())
        {
            if (s.ToName() == name)
            {
                status = s;
                return true;
            }
        }
        status = default;
        return false;
    }
}

/// <summary>
/// A signed command queued for a device. <see cref="Id"/> is the command's nonce, so the id the device reports an
/// outcome for is bound by the signature; <see cref="Envelope"/> is the DSSE JSON the device verifies.
/// </summary>
public sealed record StoredDeviceCommand(
    string Id,
    string DeviceId,
    DeviceCommandKind Kind,
    string? IncidentId,
    string Envelope,
    DeviceCommandStatus Status,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? CompletedAt,
    string? Outcome);

/// <summary>The queue of signed commands per device.</summary>
public interface IDeviceCommandRepository
{
    Task InsertAsync(StoredDeviceCommand command, CancellationToken cancellationToken = default);

    Task<StoredDeviceCommand?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Pending or delivered commands of the device that have not expired at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<StoredDeviceCommand>> ListOutstandingAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The newest commands of the device, any status.</summary>
    Task<IReadOnlyList<StoredDeviceCommand>> ListForDeviceAsync(string deviceId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Marks pending commands as delivered at <paramref name="at"/> (delivered ones keep their first delivery time).</summary>
    Task MarkDeliveredAsync(IReadOnlyList<string> ids, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the device's outcome of its own outstanding command; false when the command is not the device's or
    /// already has an outcome.
    /// </summary>
    Task<bool> RecordOutcomeAsync(string deviceId, string id, DeviceCommandStatus status, string outcome, DateTimeOffset at, CancellationToken cancellationToken = default);
}
