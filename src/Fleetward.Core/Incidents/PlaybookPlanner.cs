using System.Text.Json.Nodes;
using Fleetward.Core.Audit;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;

namespace Fleetward.Core.Incidents;

/// <summary>Whether a policy rule acts by itself or waits for an operator's click.</summary>
public enum ResponseMode
{
    /// <summary>The playbook acts at once, without a human.</summary>
    Automatic,

    /// <summary>The action is offered to an operator as one click.</summary>
    Manual,
}

/// <summary>
/// "For incidents of <see cref="Cause"/> (any when null) at <see cref="MinimumSeverity"/> or worse, take
/// <see cref="Actions"/> automatically or offer them to an operator."
/// </summary>
public sealed record ResponseRule(DetectionSeverity MinimumSeverity, IReadOnlyList<ResponseAction> Actions, ResponseMode Mode, string? Cause = null)
{
    public bool Matches(Incident incident) => incident.Severity >= MinimumSeverity && (Cause is null || Cause == incident.Cause);
}

/// <summary>
/// The fleet's response policy. Zeroize and release are never automatic: zeroize destroys the device's keys and
/// release ends a containment, so both need a named operator (and a reason).
/// </summary>
public sealed record ResponsePolicy
{
    public ResponsePolicy(IReadOnlyList<ResponseRule> rules)
    {
        foreach (var rule in rules)
        {
            if (rule.Mode == ResponseMode.Automatic && rule.Actions.Any(a => a is ResponseAction.Zeroize or ResponseAction.ReleaseFromQuarantine))
                throw new ArgumentException("Zeroize and release cannot be automatic; they need an operator.", nameof(rules));
        }
        Rules = rules;
    }

    public IReadOnlyList<ResponseRule> Rules { get; }

    /// <summary>
    /// Mirai-like: quarantine, pull forensics and rotate credentials at once. Any critical incident: quarantine and
    /// pull forensics. A failed integrity check: force re-attestation. High: offer quarantine, forensics,
    /// re-attestation, rotation and zeroize. Medium: offer forensics and re-attestation.
    /// </summary>
    public static ResponsePolicy Default { get; } = new(
    [
        new(DetectionSeverity.High, [ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials], ResponseMode.Automatic, DetectionCauses.MiraiLike),
        new(DetectionSeverity.Critical, [ResponseAction.Quarantine, ResponseAction.ForensicLogPull], ResponseMode.Automatic),
        new(DetectionSeverity.High, [ResponseAction.ForceReattestation], ResponseMode.Automatic, DetectionCauses.IntegrityFailure),
        new(DetectionSeverity.High, [ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.ForceReattestation, ResponseAction.RotateCredentials, ResponseAction.Zeroize], ResponseMode.Manual),
        new(DetectionSeverity.Medium, [ResponseAction.ForensicLogPull, ResponseAction.ForceReattestation], ResponseMode.Manual),
    ]);
}

/// <summary>A response the server should carry out now, with everything it takes as data.</summary>
public sealed record PlannedResponse(ResponseAction Action, string DeviceId, string? IncidentId, string Actor, string Reason,
    IReadOnlyList<ResponseEffect> Effects);

/// <summary>An action the policy wanted but that cannot apply now, and why (audited as a refused decision).</summary>
public sealed record SkippedResponse(ResponseAction Action, string Reason);

/// <summary>What the playbook does for an incident now, what it offers an operator, and what it skipped.</summary>
public sealed record PlaybookPlan(
    IReadOnlyList<PlannedResponse> Automatic,
    IReadOnlyList<ResponseAction> Offered,
    IReadOnlyList<SkippedResponse> Skipped);

/// <summary>An operator's request, approved with its effects or refused with a reason.</summary>
public sealed record PlaybookDecision(PlannedResponse? Response, string? RefusalReason)
{
    public bool Approved => Response is not null;
}

/// <summary>
/// Decides responses as pure functions of the incident, the policy and the device's lifecycle state. The server
/// executes the effects; because effects are data, "would this quarantine?" is answerable without a device.
/// </summary>
public static class PlaybookPlanner
{
    /// <summary>The actor name in audit records for automatic responses.</summary>
    public const string PlaybookActor = "fleetward:playbook";

    private static readonly ResponseAction[] Order =
    [
        ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials,
        ResponseAction.ForceReattestation, ResponseAction.Zeroize, ResponseAction.ReleaseFromQuarantine,
    ];

    /// <summary>
    /// Plans the automatic responses to an incident that was opened or escalated.
    /// <paramref name="alreadyTaken"/> holds actions already carried out for this incident, so a repeat detection
    /// does not repeat them.
    /// </summary>
    public static PlaybookPlan PlanAutomatic(Incident incident, ResponsePolicy policy, DeviceLifecycleState deviceState,
        IReadOnlySet<ResponseAction> alreadyTaken, DateTimeOffset now)
    {
        var automatic = new HashSet<ResponseAction>();
        var offered = new HashSet<ResponseAction>();
        foreach (var rule in policy.Rules.Where(r => r.Matches(incident)))
        {
            foreach (var action in rule.Actions)
                (rule.Mode == ResponseMode.Automatic ? automatic : offered).Add(action);
        }
        offered.ExceptWith(automatic);

        var planned = new List<PlannedResponse>();
        var skipped = new List<SkippedResponse>();
        if (incident.IsOpen)
        {
            foreach (var action in Order.Where(automatic.Contains).Where(a => !alreadyTaken.Contains(a)))
            {
                var reason = $"playbook: {incident.Severity.ToString().ToLowerInvariant()} {incident.Cause} incident {incident.Id}";
                var refusal = Refusal(action, deviceState);
                if (refusal is null) planned.Add(Build(action, incident.DeviceId, incident, PlaybookActor, reason, now));
                else skipped.Add(new SkippedResponse(action, refusal));
            }
        }
        else
        {
            skipped.AddRange(Order.Where(automatic.Contains).Select(a => new SkippedResponse(a, $"incident is {incident.Status.ToName()}")));
        }
        return new PlaybookPlan(planned, Order.Where(offered.Contains).ToArray(), skipped);
    }

    /// <summary>
    /// Plans one operator action (the one-click buttons and the CLI). Needs a named operator; zeroize and release
    /// also need a reason. <paramref name="incident"/> is optional (an operator may quarantine a device directly).
    /// </summary>
    public static PlaybookDecision PlanOperatorAction(ResponseAction action, string deviceId, Incident? incident,
        DeviceLifecycleState deviceState, string operatorName, string? reason, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(operatorName)) return new(null, "an operator name is required");
        if (string.IsNullOrWhiteSpace(deviceId)) return new(null, "a device id is required");
        if (incident is not null && incident.DeviceId != deviceId)
            return new(null, $"incident {incident.Id} is about device {incident.DeviceId}, not {deviceId}");
        if (action is ResponseAction.Zeroize or ResponseAction.ReleaseFromQuarantine && string.IsNullOrWhiteSpace(reason))
            return new(null, $"{action.ToName()} needs a reason");
        if (Refusal(action, deviceState) is { } refusal) return new(null, refusal);
        return new(Build(action, deviceId, incident, operatorName, reason ?? "", now), null);
    }

    private static string? Refusal(ResponseAction action, DeviceLifecycleState state) => (action, state) switch
    {
        (_, DeviceLifecycleState.Decommissioned) => "device is decommissioned",
        (ResponseAction.Quarantine, DeviceLifecycleState.Quarantined) => "device is already quarantined",
        (ResponseAction.ReleaseFromQuarantine, not DeviceLifecycleState.Quarantined) => $"device is {state.ToName()}, not quarantined",
        _ => null,
    };

    private static PlannedResponse Build(ResponseAction action, string deviceId, Incident? incident, string actor, string reason, DateTimeOffset now)
    {
        var effects = new List<ResponseEffect>();
        switch (action)
        {
            case ResponseAction.Quarantine:
                effects.Add(new SetDeviceStateEffect(deviceId, DeviceLifecycleState.Quarantined));
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.Isolate));
                if (incident is { Status: IncidentStatus.Detected })
                    effects.Add(new AdvanceIncidentEffect(deviceId, incident.Id, IncidentStatus.Contained, "device quarantined"));
                break;
            case ResponseAction.ForensicLogPull:
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.UploadForensicLogs));
                break;
            case ResponseAction.RotateCredentials:
                effects.Add(new RevokeDeviceCredentialsEffect(deviceId));
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.RotateCredentials));
                break;
            case ResponseAction.ForceReattestation:
                effects.Add(new RequireReattestationEffect(deviceId));
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.Reattest));
                break;
            case ResponseAction.Zeroize:
                // The command goes first: once credentials are revoked the device cannot fetch it.
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.Zeroize));
                effects.Add(new RevokeDeviceCredentialsEffect(deviceId));
                break;
            case ResponseAction.ReleaseFromQuarantine:
                effects.Add(new SetDeviceStateEffect(deviceId, DeviceLifecycleState.Active));
                effects.Add(new SendDeviceCommandEffect(deviceId, DeviceCommandKind.Release));
                if (incident is { IsOpen: true })
                    effects.Add(new AdvanceIncidentEffect(deviceId, incident.Id, IncidentStatus.Recovered, $"released: {reason}"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
        var payload = new JsonObject
        {
            ["action"] = action.ToName(),
            ["incident_id"] = incident?.Id,
            ["reason"] = reason,
            ["commands"] = new JsonArray(effects.OfType<SendDeviceCommandEffect>().Select(e => (JsonNode)JsonValue.Create(e.Command.ToName())).ToArray()),
        };
        effects.Add(new AppendAuditEffect(deviceId, new AuditEvent($"response.{action.ToName()}", now, actor, deviceId, payload.ToJsonString())));
        return new PlannedResponse(action, deviceId, incident?.Id, actor, reason, effects);
    }
}
