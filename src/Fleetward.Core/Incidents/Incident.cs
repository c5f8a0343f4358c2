using System.Text.Json.Serialization;
using Fleetward.Core.Detection;

namespace Fleetward.Core.Incidents;

/// <summary>
/// Where an incident stands in the NIST SP 800-61 response phases. Dismissed closes a false positive; it never
/// counts towards MTTR.
/// </summary>
public enum IncidentStatus
{
    Detected,
    Contained,
    Eradicated,
    Recovered,
    Dismissed,
}

/// <summary>What a timeline entry records: detections, alarm clears, the response milestones and evidence collected.</summary>
public enum IncidentEventKind
{
    Detected,
    DetectionAdded,
    SeverityRaised,
    AlarmCleared,
    Contained,
    Eradicated,
    Recovered,
    Dismissed,
    EvidenceCollected,
}

/// <summary>One line of an incident's timeline: when, what, who (an operator or the playbook), and detail.</summary>
public sealed record IncidentTimelineEntry(DateTimeOffset At, IncidentEventKind Kind, string Actor, string Detail);

/// <summary>The answer to a requested transition: the changed incident, or why it was refused.</summary>
public sealed record IncidentTransitionResult(Incident? Incident, string? RefusalReason)
{
    public bool Succeeded => Incident is not null;
    public static IncidentTransitionResult Refused(string reason) => new(null, reason);
}

/// <summary>
/// Detections of one cause on one device, handled as one case from first detection to recovery. Immutable: every
/// change returns a new incident, so storage can compare and audit. MTTD runs from the first anomalous sample to
/// the first detection; MTTR from that detection to recovery.
/// </summary>
public sealed record Incident
{
    /// <summary>Timeline entries kept; later repeat detections only raise the count, milestones are always kept.</summary>
    public const int MaxTimelineEntries = 100;

    public const int MaxSignals = 16;

    public required string Id { get; init; }
    public required string DeviceId { get; init; }
    public required string Cause { get; init; }
    public required DetectionSeverity Severity { get; init; }
    public required IncidentStatus Status { get; init; }
    public required string Summary { get; init; }
    public required DateTimeOffset FirstAnomalousAt { get; init; }
    public required DateTimeOffset DetectedAt { get; init; }
    public DateTimeOffset? ContainedAt { get; init; }
    public DateTimeOffset? EradicatedAt { get; init; }
    public DateTimeOffset? RecoveredAt { get; init; }
    public DateTimeOffset? DismissedAt { get; init; }
    public required DateTimeOffset LastDetectedAt { get; init; }
    public required int DetectionCount { get; init; }

    /// <summary>Which checks fired (e.g. telnet-scan, deleted-executable), first seen first.</summary>
    public required IReadOnlyList<string> Signals { get; init; }

    public required IReadOnlyList<IncidentTimelineEntry> Timeline { get; init; }

    [JsonIgnore]
    public bool IsOpen => Status is IncidentStatus.Detected or IncidentStatus.Contained or IncidentStatus.Eradicated;

    /// <summary>Mean time to detect contributes this: first anomalous sample to detection.</summary>
    [JsonIgnore]
    public TimeSpan TimeToDetect => DetectedAt - FirstAnomalousAt;

    /// <summary>Mean time to recover contributes this once recovered: detection to recovery.</summary>
    [JsonIgnore]
    public TimeSpan? TimeToRecover => RecoveredAt - DetectedAt;

    /// <summary>Opens an incident from its first detection.</summary>
    public static Incident Open(string id, DetectionFinding detection)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new Incident
        {
            Id = id,
            DeviceId = detection.DeviceId,
            Cause = detection.Cause,
            Severity = detection.Severity,
            Status = IncidentStatus.Detected,
            Summary = detection.Summary,
            FirstAnomalousAt = detection.FirstAnomalousAt,
            DetectedAt = detection.DetectedAt,
            LastDetectedAt = detection.DetectedAt,
            DetectionCount = 1,
            Signals = [detection.Signal],
            Timeline = [new(detection.DetectedAt, IncidentEventKind.Detected, "fleetward:detection", $"{detection.Signal}: {detection.Summary}")],
        };
    }

    /// <summary>Adds a later detection of the same device and cause to this open incident; severity only rises.</summary>
    public Incident Merge(DetectionFinding detection)
    {
        if (!IsOpen) throw new InvalidOperationException($"Incident {Id} is {Status}; a new detection opens a new incident.");
        if (detection.DeviceId != DeviceId || detection.Cause != Cause)
            throw new ArgumentException($"Detection is for {detection.DeviceId}/{detection.Cause}, incident for {DeviceId}/{Cause}.", nameof(detection));
        var timeline = Timeline.ToList();
        var raised = detection.Severity > Severity;
        if (raised)
            timeline.Add(new(detection.DetectedAt, IncidentEventKind.SeverityRaised, "fleetward:detection", $"{Severity} to {detection.Severity} by {detection.Signal}"));
        if (timeline.Count < MaxTimelineEntries)
            timeline.Add(new(detection.DetectedAt, IncidentEventKind.DetectionAdded, "fleetward:detection", $"{detection.Signal}: {detection.Summary}"));
        return this with
        {
            Severity = raised ? detection.Severity : Severity,
            Summary = raised ? detection.Summary : Summary,
            FirstAnomalousAt = detection.FirstAnomalousAt < FirstAnomalousAt ? detection.FirstAnomalousAt : FirstAnomalousAt,
            LastDetectedAt = detection.DetectedAt > LastDetectedAt ? detection.DetectedAt : LastDetectedAt,
            DetectionCount = DetectionCount + 1,
            Signals = Signals.Contains(detection.Signal) || Signals.Count >= MaxSignals ? Signals : [.. Signals, detection.Signal],
            Timeline = timeline,
        };
    }

    /// <summary>Notes that the alarm behind the incident returned to normal; the incident stays open for a human or playbook.</summary>
    public Incident NoteCleared(DetectionClear clear)
    {
        if (!IsOpen || Timeline.Count >= MaxTimelineEntries) return this;
        return this with { Timeline = [.. Timeline, new(clear.SampledAt, IncidentEventKind.AlarmCleared, "fleetward:detection", $"{clear.Signal} cleared")] };
    }

    /// <summary>
    /// Notes evidence the device sent for this incident (a forensic bundle and its hash). Kept in any status and past
    /// the timeline bound: evidence may arrive after containment and must stay traceable from the incident.
    /// </summary>
    public Incident NoteEvidence(DateTimeOffset at, string actor, string detail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return this with { Timeline = [.. Timeline, new(at, IncidentEventKind.EvidenceCollected, actor, detail)] };
    }

    /// <summary>The device is isolated (quarantined): allowed only from Detected.</summary>
    public IncidentTransitionResult Contain(DateTimeOffset at, string actor, string detail) =>
        Status != IncidentStatus.Detected
            ? IncidentTransitionResult.Refused($"incident is {Status.ToName()}; only a detected incident can be contained")
            : Transition(at, actor, detail, IncidentEventKind.Contained, i => i with { Status = IncidentStatus.Contained, ContainedAt = at });

    /// <summary>The threat is removed (re-imaged, keys rotated): allowed from Detected or Contained.</summary>
    public IncidentTransitionResult Eradicate(DateTimeOffset at, string actor, string detail) =>
        Status is not (IncidentStatus.Detected or IncidentStatus.Contained)
            ? IncidentTransitionResult.Refused($"incident is {Status.ToName()}; only a detected or contained incident can be eradicated")
            : Transition(at, actor, detail, IncidentEventKind.Eradicated, i => i with { Status = IncidentStatus.Eradicated, EradicatedAt = at });

    /// <summary>The device is back in normal service: closes the incident and fixes its MTTR.</summary>
    public IncidentTransitionResult Recover(DateTimeOffset at, string actor, string detail) =>
        !IsOpen
            ? IncidentTransitionResult.Refused($"incident is {Status.ToName()}; it is already closed")
            : Transition(at, actor, detail, IncidentEventKind.Recovered, i => i with { Status = IncidentStatus.Recovered, RecoveredAt = at });

    /// <summary>Closes a false positive; needs a reason, and is not possible once eradication started.</summary>
    public IncidentTransitionResult Dismiss(DateTimeOffset at, string actor, string reason)
    {
        if (Status is not (IncidentStatus.Detected or IncidentStatus.Contained))
            return IncidentTransitionResult.Refused($"incident is {Status.ToName()}; only a detected or contained incident can be dismissed");
        if (string.IsNullOrWhiteSpace(reason)) return IncidentTransitionResult.Refused("dismissing needs a reason");
        return Transition(at, actor, reason, IncidentEventKind.Dismissed, i => i with { Status = IncidentStatus.Dismissed, DismissedAt = at });
    }

    private IncidentTransitionResult Transition(DateTimeOffset at, string actor, string detail, IncidentEventKind kind, Func<Incident, Incident> change)
    {
        if (string.IsNullOrWhiteSpace(actor)) return IncidentTransitionResult.Refused("an actor is required");
        var latest = new[] { DetectedAt, ContainedAt ?? DetectedAt, EradicatedAt ?? DetectedAt }.Max();
        if (at < latest) return IncidentTransitionResult.Refused($"time {at:O} is before the incident's last milestone {latest:O}");
        var changed = change(this);
        return new(changed with { Timeline = [.. Timeline, new(at, kind, actor, detail ?? "")] }, null);
    }
}

/// <summary>Stable lower-case status names, as stored and as shown in the API and CLI.</summary>
public static class IncidentStatusNames
{
    public static string ToName(this IncidentStatus status) => status switch
    {
        IncidentStatus.Detected => "detected",
        IncidentStatus.Contained => "contained",
        IncidentStatus.Eradicated => "eradicated",
        IncidentStatus.Recovered => "recovered",
        IncidentStatus.Dismissed => "dismissed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out IncidentStatus status)
    {
        foreach (var s in Enum.GetValues<IncidentStatus>())
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

/// <summary>JSON for incidents (snake_case, enum names), for storage columns such as the timeline and for the API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Incident))]
[JsonSerializable(typeof(IReadOnlyList<IncidentTimelineEntry>))]
[JsonSerializable(typeof(DetectionFinding))]
public sealed partial class IncidentJsonContext : JsonSerializerContext;
