using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Siem;

namespace Fleetward.Core.Incidents;

/// <summary>The open incident of a (device, cause) pair and the responses already taken for it, as storage holds them.</summary>
public sealed record OpenIncidentRecord(Incident Incident, IReadOnlySet<ResponseAction> ActionsTaken);

/// <summary>
/// Everything one scored report leads to, for the server to persist in one unit of work and then carry out:
/// the incidents as they now stand, the automatic responses (effects as data), the skipped ones with their reasons,
/// and the SIEM events (a Detection Finding per detection, an Incident Finding per opened, escalated or contained
/// incident). Remediation events are emitted by the server after it executed a response, with the command id.
/// </summary>
public sealed record ResponseRound(
    IReadOnlyList<IncidentChange> Changes,
    IReadOnlyList<Incident> Incidents,
    IReadOnlyList<PlannedResponse> Responses,
    IReadOnlyList<SkippedResponse> Skipped,
    IReadOnlyList<OcsfEvent> SiemEvents,
    DeviceLifecycleState DeviceStateAfter);

/// <summary>
/// Turns a detection outcome into incidents and automatic responses in one pure step, so that the ingest endpoint,
/// the simulator and the tests share the exact chain detection → incident → playbook. Within a round the device's
/// state carries over: once one incident quarantines the device, the next is contained by that quarantine instead
/// of quarantining again.
/// </summary>
public sealed class IncidentResponder(ResponsePolicy policy, OcsfEventFactory siem)
{
    /// <param name="findOpen">The open incident of (device, cause) with its taken actions, or null.</param>
    /// <param name="newIncidentId">A fresh incident id (storage decides the format).</param>
    public ResponseRound Respond(DetectionOutcome outcome, DeviceLifecycleState deviceState,
        Func<string, string, OpenIncidentRecord?> findOpen, Func<string> newIncidentId, DateTimeOffset now)
    {
        var changes = new List<IncidentChange>();
        var current = new Dictionary<(string, string), OpenIncidentRecord>();
        var responses = new List<PlannedResponse>();
        var skipped = new List<SkippedResponse>();
        var events = new List<OcsfEvent>();
        var state = deviceState;

        foreach (var detection in outcome.Detections)
        {
            var key = (detection.DeviceId, detection.Cause);
            if (!current.TryGetValue(key, out var record))
                record = findOpen(detection.DeviceId, detection.Cause);
            var change = IncidentCorrelator.Correlate(record?.Incident, detection,
                record is { Incident.IsOpen: true } ? record.Incident.Id : newIncidentId());
            var taken = change.Kind == IncidentChangeKind.Opened ? new HashSet<ResponseAction>() : new HashSet<ResponseAction>(record!.ActionsTaken);
            var incident = change.Incident;
            events.Add(siem.DetectionFinding(detection, incident.Id));

            if (change.Kind != IncidentChangeKind.Updated)
            {
                var plan = PlaybookPlanner.PlanAutomatic(incident, policy, state, taken, now);
                foreach (var response in plan.Automatic)
                {
                    responses.Add(response);
                    taken.Add(response.Action);
                    foreach (var effect in response.Effects)
                    {
                        if (effect is SetDeviceStateEffect set) state = set.State;
                        if (effect is AdvanceIncidentEffect { To: IncidentStatus.Contained } advance && incident.Status == IncidentStatus.Detected)
                            incident = incident.Contain(now, response.Actor, advance.Detail).Incident ?? incident;
                    }
                }
                skipped.AddRange(plan.Skipped);
                if (state == DeviceLifecycleState.Quarantined && incident.Status == IncidentStatus.Detected)
                    incident = incident.Contain(now, PlaybookPlanner.PlaybookActor, "device is quarantined").Incident ?? incident;
                events.Add(siem.IncidentFinding(incident, now));
            }
            current[key] = new OpenIncidentRecord(incident, taken);
            changes.Add(change with { Incident = incident });
        }

        foreach (var clear in outcome.Clears)
        {
            var key = (clear.DeviceId, clear.Cause);
            var record = current.TryGetValue(key, out var r) ? r : findOpen(clear.DeviceId, clear.Cause);
            if (record is { Incident.IsOpen: true }) current[key] = record with { Incident = record.Incident.NoteCleared(clear) };
        }

        return new ResponseRound(changes, current.Values.Select(r => r.Incident).ToArray(), responses, skipped, events, state);
    }
}
