using Fleetward.Core.Audit;
using Fleetward.Core.Devices;

namespace Fleetward.Core.Incidents;

/// <summary>The responses an operator or the playbook can take against a device.</summary>
public enum ResponseAction
{
    Quarantine,
    ForensicLogPull,
    RotateCredentials,
    ForceReattestation,
    Zeroize,
    ReleaseFromQuarantine,
}

/// <summary>
/// Commands the agent obeys (signed by the server command key, bound to the device, with expiry and nonce).
/// Stable wire names via <see cref="DeviceCommandKindNames"/>.
/// </summary>
public enum DeviceCommandKind
{
    Isolate,
    RotateCredentials,
    Reattest,
    Zeroize,
    UploadForensicLogs,
    Release,
}

/// <summary>Wire names of device commands, shared by the server that signs them and the agent that obeys them.</summary>
public static class DeviceCommandKindNames
{
    public static string ToName(this DeviceCommandKind kind) => kind switch
    {
        DeviceCommandKind.Isolate => "isolate",
        DeviceCommandKind.RotateCredentials => "rotate-credentials",
        DeviceCommandKind.Reattest => "reattest",
        DeviceCommandKind.Zeroize => "zeroize",
        DeviceCommandKind.UploadForensicLogs => "upload-forensic-logs",
        DeviceCommandKind.Release => "release",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? name, out DeviceCommandKind kind)
    {
        foreach (var k in Enum.GetValues<DeviceCommandKind>())
        {
            if (k.ToName() == name)
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }
}

/// <summary>Stable action names for the API, CLI, policy configuration and audit records.</summary>
public static class ResponseActionNames
{
    public static string ToName(this ResponseAction action) => action switch
    {
        ResponseAction.Quarantine => "quarantine",
        ResponseAction.ForensicLogPull => "forensic-log-pull",
        ResponseAction.RotateCredentials => "rotate-credentials",
        ResponseAction.ForceReattestation => "force-reattestation",
        ResponseAction.Zeroize => "zeroize",
        ResponseAction.ReleaseFromQuarantine => "release",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static bool TryParse(string? name, out ResponseAction action)
    {
        foreach (var a in Enum.GetValues<ResponseAction>())
        {
            if (a.ToName() == name)
            {
                action = a;
                return true;
            }
        }
        action = default;
        return false;
    }
}

/// <summary>
/// One thing the server must do to carry out a response. Effects are data so the decision stays pure and testable;
/// the server executes them in one unit of work (state change and audit record together) and then sends commands.
/// </summary>
public abstract record ResponseEffect(string DeviceId);

/// <summary>Move the device to a lifecycle state (quarantined closes its update gate; active reopens it).</summary>
public sealed record SetDeviceStateEffect(string DeviceId, DeviceLifecycleState State) : ResponseEffect(DeviceId);

/// <summary>Queue a signed command for the agent.</summary>
public sealed record SendDeviceCommandEffect(string DeviceId, DeviceCommandKind Command) : ResponseEffect(DeviceId);

/// <summary>Revoke the device's operational certificates: it can only come back by re-enrolling with its factory identity.</summary>
public sealed record RevokeDeviceCredentialsEffect(string DeviceId) : ResponseEffect(DeviceId);

/// <summary>Refuse the device's normal requests until it presents a fresh, valid attestation.</summary>
public sealed record RequireReattestationEffect(string DeviceId) : ResponseEffect(DeviceId);

/// <summary>Move the incident along its timeline (e.g. quarantine contains it).</summary>
public sealed record AdvanceIncidentEffect(string DeviceId, string IncidentId, IncidentStatus To, string Detail) : ResponseEffect(DeviceId);

/// <summary>Append to the audit log in the same transaction as the other effects.</summary>
public sealed record AppendAuditEffect(string DeviceId, AuditEvent Event) : ResponseEffect(DeviceId);
