using System.Text.Json.Nodes;
using Fleetward.Core.Audit;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Siem;

namespace Fleetward.Server.Detection;

/// <summary>Why an operator request was not carried out: nothing to act on, or the state does not allow it.</summary>
public enum OperatorRefusalKind
{
    NotFound,
    Conflict,
    Invalid,
}

/// <summary>An operator request's result: the incident or response it produced, or a refusal with its reason.</summary>
public sealed record OperatorActionResult(Incident? Incident, ExecutedResponse? Response, OperatorRefusalKind? Refusal, string? Reason)
{
    public bool Succeeded => Refusal is null;

    public static OperatorActionResult Refused(OperatorRefusalKind kind, string reason) => new(null, null, kind, reason);
}

/// <summary>
/// Operator-driven incident handling: contain and resolve an incident, and the one-click playbook actions on a
/// device. Every decision is audited, refusals included; the responses run through the same
/// <see cref="PlaybookExecutor"/> as the automatic path.
/// </summary>
public sealed class IncidentService(IFleetStore store, PlaybookExecutor executor, SiemOutboxWriter outbox, OcsfEventFactory siem,
    DetectionMetrics metrics, Identity.DeviceLifecycleService lifecycle, TimeProvider time)
{
    /// <summary>
    /// Contains an incident: quarantines its device when it is not quarantined yet (which contains the incident),
    /// otherwise records the containment.
    /// </summary>
    public async Task<OperatorActionResult> ContainAsync(string incidentId, string actor, string? reason, CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var now = time.GetUtcNow();
        var incident = await work.Incidents.GetAsync(incidentId, cancellationToken);
        if (incident is null) return OperatorActionResult.Refused(OperatorRefusalKind.NotFound, $"No incident with id '{incidentId}'.");
        var device = await work.Devices.GetAsync(incident.DeviceId, cancellationToken);
        ExecutedResponse? executed = null;
        if (incident.Status == IncidentStatus.Detected && device is { State: DeviceLifecycleState.Active })
        {
            var decision = PlaybookPlanner.PlanOperatorAction(ResponseAction.Quarantine, device.Id, incident, device.State, actor, reason ?? "contain incident " + incident.Id, now);
            if (!decision.Approved) return await RefuseAsync(work, "incident.contain", actor, incidentId, OperatorRefusalKind.Conflict, decision.RefusalReason!, now, cancellationToken);
            executed = await executor.ExecuteAsync(work, decision.Response!, now, cancellationToken);
            metrics.Response(ResponseAction.Quarantine.ToName(), "operator");
            incident = (await work.Incidents.GetAsync(incidentId, cancellationToken))!;
        }
        else
        {
            var result = incident.Contain(now, actor, reason ?? "contained by operator");
            if (!result.Succeeded) return await RefuseAsync(work, "incident.contain", actor, incidentId, OperatorRefusalKind.Conflict, result.RefusalReason!, now, cancellationToken);
            incident = result.Incident!;
            await work.Incidents.UpdateAsync(incident, cancellationToken);
            await work.Audit.AppendAsync(new AuditEvent("incident.contained", now, actor, incident.Id,
                new JsonObject { ["device_id"] = incident.DeviceId, ["detail"] = reason }.ToJsonString()), cancellationToken);
        }
        await outbox.EnqueueAsync(work, siem.IncidentFinding(incident, now), cancellationToken);
        await work.CommitAsync(cancellationToken);
        await lifecycle.ApplyCommittedAsync([executed], cancellationToken);
        return new OperatorActionResult(incident, executed, null, null);
    }

    /// <summary>Resolves an incident: recovered (closes it and fixes its MTTR), or dismissed as a false positive.</summary>
    public async Task<OperatorActionResult> ResolveAsync(string incidentId, string actor, string reason, bool falsePositive, CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var now = time.GetUtcNow();
        var incident = await work.Incidents.GetAsync(incidentId, cancellationToken);
        if (incident is null) return OperatorActionResult.Refused(OperatorRefusalKind.NotFound, $"No incident with id '{incidentId}'.");
        if (string.IsNullOrWhiteSpace(reason))
            return await RefuseAsync(work, "incident.resolve", actor, incidentId, OperatorRefusalKind.Invalid, "resolving an incident needs a reason", now, cancellationToken);
        var result = falsePositive ? incident.Dismiss(now, actor, reason) : incident.Recover(now, actor, reason);
        if (!result.Succeeded) return await RefuseAsync(work, "incident.resolve", actor, incidentId, OperatorRefusalKind.Conflict, result.RefusalReason!, now, cancellationToken);
        incident = result.Incident!;
        await work.Incidents.UpdateAsync(incident, cancellationToken);
        await work.Audit.AppendAsync(new AuditEvent($"incident.{incident.Status.ToName()}", now, actor, incident.Id,
            new JsonObject { ["device_id"] = incident.DeviceId, ["reason"] = reason }.ToJsonString()), cancellationToken);
        await outbox.EnqueueAsync(work, siem.IncidentFinding(incident, now), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return new OperatorActionResult(incident, null, null, null);
    }

    /// <summary>
    /// One-click playbook action on a device. Without <paramref name="incidentId"/> it applies to the device's newest
    /// open incident, if any (so quarantine contains it and release recovers it).
    /// </summary>
    public async Task<OperatorActionResult> RunPlaybookAsync(string deviceId, ResponseAction action, string? incidentId, string actor, string? reason, CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var now = time.GetUtcNow();
        var device = await work.Devices.GetAsync(deviceId, cancellationToken);
        if (device is null) return OperatorActionResult.Refused(OperatorRefusalKind.NotFound, $"No device with id '{deviceId}'.");
        Incident? incident;
        if (incidentId is not null)
        {
            incident = await work.Incidents.GetAsync(incidentId, cancellationToken);
            if (incident is null) return OperatorActionResult.Refused(OperatorRefusalKind.NotFound, $"No incident with id '{incidentId}'.");
        }
        else
        {
            incident = (await work.Incidents.ListOpenForDeviceAsync(deviceId, cancellationToken)).FirstOrDefault();
        }
        var decision = PlaybookPlanner.PlanOperatorAction(action, deviceId, incident, device.State, actor, reason, now);
        if (!decision.Approved)
        {
            var kind = decision.RefusalReason!.Contains("needs a reason", StringComparison.Ordinal) ? OperatorRefusalKind.Invalid : OperatorRefusalKind.Conflict;
            return await RefuseAsync(work, $"response.{action.ToName()}", actor, deviceId, kind, decision.RefusalReason!, now, cancellationToken);
        }
        var executed = await executor.ExecuteAsync(work, decision.Response!, now, cancellationToken);
        metrics.Response(action.ToName(), "operator");
        var after = incident is null ? null : await work.Incidents.GetAsync(incident.Id, cancellationToken);
        await work.CommitAsync(cancellationToken);
        await lifecycle.ApplyCommittedAsync([executed], cancellationToken);
        return new OperatorActionResult(after, executed, null, null);
    }

    /// <summary>Refusals are audited too ("every decision that refuses is audited"), in their own commit.</summary>
    private static async Task<OperatorActionResult> RefuseAsync(IFleetUnitOfWork work, string type, string actor, string subject,
        OperatorRefusalKind kind, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await work.Audit.AppendAsync(new AuditEvent(type + ".refused", now, actor, subject, new JsonObject { ["reason"] = reason }.ToJsonString()), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return OperatorActionResult.Refused(kind, reason);
    }
}
