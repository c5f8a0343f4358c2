using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Fleetward.Core.Audit;
using Fleetward.Core.Devices;
using Fleetward.Core.Identity;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Siem;

namespace Fleetward.Server.Detection;

/// <summary>What carrying out one response did: the commands queued and the device state after.</summary>
public sealed record ExecutedResponse(PlannedResponse Response, IReadOnlyList<StoredDeviceCommand> Commands, DeviceLifecycleState? DeviceStateAfter)
{
    /// <summary>Certificates the response revoked; the caller applies them after commit (<see cref="Identity.DeviceLifecycleService.ApplyCommittedAsync"/>).</summary>
    public IReadOnlyList<StoredDeviceCertificate> RevokedCertificates { get; init; } = [];
}

/// <summary>
/// Carries out a planned response inside the caller's unit of work, so the state change, the queued commands, the
/// incident milestone, the audit records and the SIEM events commit together or not at all. The automatic path
/// (ingest) and the operator's one-click path use this same class.
/// </summary>
/// <remarks>
/// Credential revocation and forced re-attestation are recorded (audit, incident action, command to the device);
/// refusing the device's certificate until it re-enrolls or re-attests is enforced by the identity area's device
/// authentication, which reads the device state and these records.
/// </remarks>
/// <summary>After the unit of work that ran responses commits: make their state changes and revocations effective in this process.</summary>
public static class ExecutedResponses
{
    public static async Task ApplyCommittedAsync(this Identity.DeviceLifecycleService lifecycle, IEnumerable<ExecutedResponse?> executed, CancellationToken cancellationToken)
    {
        foreach (var response in executed)
        {
            if (response is not null && (response.DeviceStateAfter is not null || response.RevokedCertificates.Count > 0))
            {
                await lifecycle.ApplyCommittedAsync(response.Response.DeviceId, response.RevokedCertificates, cancellationToken);
            }
        }
    }
}

public sealed class PlaybookExecutor(DeviceCommandIssuer issuer, OcsfEventFactory siem, SiemOutboxWriter outbox)
{
    public async Task<ExecutedResponse> ExecuteAsync(IFleetUnitOfWork work, PlannedResponse response, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var commands = new List<StoredDeviceCommand>();
        var revokedCertificates = new List<StoredDeviceCertificate>();
        DeviceLifecycleState? stateAfter = null;
        foreach (var effect in response.Effects)
        {
            switch (effect)
            {
                case SetDeviceStateEffect set:
                    stateAfter = await SetStateAsync(work, set, response, now, cancellationToken);
                    break;
                case SendDeviceCommandEffect send:
                    var command = issuer.Issue(send.DeviceId, send.Command, response.IncidentId, now);
                    await work.DeviceCommands.InsertAsync(command, cancellationToken);
                    await work.Audit.AppendAsync(new AuditEvent("device.command.issued", now, response.Actor, send.DeviceId, new JsonObject
                    {
                        ["command_id"] = command.Id,
                        ["kind"] = command.Kind.ToName(),
                        ["incident_id"] = response.IncidentId,
                        ["expires_at"] = command.ExpiresAt.ToString("O"),
                    }.ToJsonString()), cancellationToken);
                    commands.Add(command);
                    break;
                case RevokeDeviceCredentialsEffect revoke:
                    // Really revoked (CRL, handshake refusal), through the one revocation path of the identity area; the
                    // device has to enroll again through its factory identity or a new one-time token.
                    revokedCertificates.AddRange(await Identity.DeviceLifecycleService.RevokeWithinAsync(
                        work, revoke.DeviceId, X509RevocationReason.KeyCompromise, now, response.Actor, cancellationToken));
                    await work.Audit.AppendAsync(new AuditEvent("device.credentials.revoked", now, response.Actor, revoke.DeviceId,
                        new JsonObject { ["incident_id"] = response.IncidentId, ["reason"] = response.Reason }.ToJsonString()), cancellationToken);
                    break;
                case RequireReattestationEffect reattest:
                    await work.Audit.AppendAsync(new AuditEvent("device.reattestation.required", now, response.Actor, reattest.DeviceId,
                        new JsonObject { ["incident_id"] = response.IncidentId, ["reason"] = response.Reason }.ToJsonString()), cancellationToken);
                    break;
                case AdvanceIncidentEffect advance:
                    await AdvanceAsync(work, advance, response.Actor, now, cancellationToken);
                    break;
                case AppendAuditEffect audit:
                    await work.Audit.AppendAsync(audit.Event, cancellationToken);
                    break;
                default:
                    throw new InvalidOperationException($"No executor for effect {effect.GetType().Name}.");
            }
        }

        if (response.IncidentId is not null)
        {
            await work.Incidents.RecordActionAsync(new IncidentActionRecord(response.IncidentId, response.Action, now, response.Actor), cancellationToken);
        }
        var commandUid = commands.Count > 0 ? commands[0].Id : $"{response.Action.ToName()}:{response.DeviceId}:{now.ToUnixTimeMilliseconds()}";
        await outbox.EnqueueAsync(work, siem.Remediation(response, commandUid, now, OcsfStatus.Success), cancellationToken);
        return new ExecutedResponse(response, commands, stateAfter) { RevokedCertificates = revokedCertificates };
    }

    /// <summary>
    /// Moves the device through the one lifecycle state machine (<see cref="DeviceLifecycleTransitions"/>), so a playbook
    /// can never do what an operator may not (e.g. bring a decommissioned device back), and records it in the same
    /// audit format as every other state change. A transition the machine refuses leaves the state and is audited.
    /// </summary>
    private static async Task<DeviceLifecycleState> SetStateAsync(IFleetUnitOfWork work, SetDeviceStateEffect set, PlannedResponse response, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var device = await work.Devices.GetAsync(set.DeviceId, cancellationToken)
            ?? throw new InvalidOperationException($"Device {set.DeviceId} does not exist.");
        if (device.State == set.State)
        {
            return set.State;
        }

        var action = set.State switch
        {
            DeviceLifecycleState.Quarantined => DeviceLifecycleAction.Quarantine,
            DeviceLifecycleState.Active => DeviceLifecycleAction.Release,
            DeviceLifecycleState.Decommissioned => DeviceLifecycleAction.Decommission,
            _ => throw new InvalidOperationException($"A playbook cannot move a device to {set.State.ToName()}."),
        };
        var decision = DeviceLifecycleTransitions.Decide(device.State, action);
        var reason = response.IncidentId is null ? response.Reason : $"{response.Reason} (incident {response.IncidentId})";
        if (!decision.Allowed)
        {
            await work.Audit.AppendAsync(new AuditEvent("device.state.change.refused", now, response.Actor, set.DeviceId, new JsonObject
            {
                ["from"] = device.State.ToName(),
                ["requested"] = set.State.ToName(),
                ["action"] = response.Action.ToName(),
                ["incident_id"] = response.IncidentId,
                ["reason"] = decision.Reason,
            }.ToJsonString()), cancellationToken);
            return device.State;
        }

        await work.Devices.SetStateAsync(set.DeviceId, decision.To, cancellationToken);
        await work.Audit.AppendAsync(new DeviceStateChangedRecord(set.DeviceId, device.State, decision.To, reason).ToAuditEvent(now, response.Actor), cancellationToken);
        return decision.To;
    }

    private static async Task AdvanceAsync(IFleetUnitOfWork work, AdvanceIncidentEffect advance, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var incident = await work.Incidents.GetAsync(advance.IncidentId, cancellationToken)
            ?? throw new InvalidOperationException($"Incident {advance.IncidentId} does not exist.");
        if (incident.Status == advance.To) return;
        var result = advance.To switch
        {
            IncidentStatus.Contained => incident.Contain(now, actor, advance.Detail),
            IncidentStatus.Eradicated => incident.Eradicate(now, actor, advance.Detail),
            IncidentStatus.Recovered => incident.Recover(now, actor, advance.Detail),
            _ => IncidentTransitionResult.Refused($"the playbook does not move incidents to {advance.To.ToName()}"),
        };
        if (!result.Succeeded)
        {
            // A milestone already passed (e.g. contained before this quarantine) is recorded, not forced.
            await work.Audit.AppendAsync(new AuditEvent("incident.transition.refused", now, actor, advance.IncidentId,
                new JsonObject { ["to"] = advance.To.ToName(), ["reason"] = result.RefusalReason }.ToJsonString()), cancellationToken);
            return;
        }
        await work.Incidents.UpdateAsync(result.Incident!, cancellationToken);
        await work.Audit.AppendAsync(new AuditEvent($"incident.{advance.To.ToName()}", now, actor, advance.IncidentId,
            new JsonObject { ["device_id"] = advance.DeviceId, ["detail"] = advance.Detail }.ToJsonString()), cancellationToken);
    }
}
