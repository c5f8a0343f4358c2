using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Trust.Commands;

namespace Fleetward.Server.Detection;

/// <summary>
/// Turns "send this device an isolate command" into a signed, queued command: bound to the device id, valid for
/// <see cref="Lifetime"/> from now, unique by its nonce (which is also its id), signed with the server command key.
/// </summary>
public sealed class DeviceCommandIssuer(ServerCommandKey key, TimeSpan lifetime)
{
    private readonly CommandSigner _signer = new(key.Key);

    /// <summary>Must stay within the agent's maximum lifetime (CommandVerifierOptions.MaxLifetime, 24 h by default).</summary>
    public TimeSpan Lifetime { get; } = lifetime > TimeSpan.Zero && lifetime <= CommandVerifierOptions.Default.MaxLifetime
        ? lifetime
        : throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "a command lifetime must be positive and at most the agent's maximum.");

    public StoredDeviceCommand Issue(string deviceId, DeviceCommandKind kind, string? incidentId, DateTimeOffset now)
    {
        var parameters = incidentId is null ? null : new Dictionary<string, string> { ["incident"] = incidentId };
        var command = DeviceCommand.Create(ToCommandType(kind), deviceId, now, Lifetime, parameters);
        var envelope = _signer.Sign(command);
        return new StoredDeviceCommand(command.Nonce, deviceId, kind, incidentId, envelope.ToJson(), DeviceCommandStatus.Pending,
            command.IssuedAt, command.ExpiresAt, null, null, null);
    }

    /// <summary>The wire type the agent knows for each response command.</summary>
    public static CommandType ToCommandType(DeviceCommandKind kind) => kind switch
    {
        DeviceCommandKind.Isolate => CommandType.Isolate,
        DeviceCommandKind.RotateCredentials => CommandType.RotateCredentials,
        DeviceCommandKind.Reattest => CommandType.ReAttest,
        DeviceCommandKind.Zeroize => CommandType.Zeroize,
        DeviceCommandKind.UploadForensicLogs => CommandType.UploadForensics,
        DeviceCommandKind.Release => CommandType.Release,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
