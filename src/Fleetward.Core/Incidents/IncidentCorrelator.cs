using Fleetward.Core.Detection;

namespace Fleetward.Core.Incidents;

/// <summary>What a detection did to its incident; opened and escalated incidents are what playbooks act on.</summary>
public enum IncidentChangeKind
{
    Opened,
    Updated,
    SeverityRaised,
}

/// <summary>What a detection did to the incidents: opened one, or updated (and maybe escalated) the open one.</summary>
public sealed record IncidentChange(Incident Incident, IncidentChangeKind Kind);

/// <summary>
/// Groups detections into incidents: one open incident per (device, cause). Storage supplies the open incident for
/// the pair (or none) and a fresh id, and persists the result; the rule lives here so both engines behave alike.
/// </summary>
public static class IncidentCorrelator
{
    /// <param name="open">The open incident of the detection's device and cause, or null.</param>
    /// <param name="newIncidentId">Used only when a new incident opens.</param>
    public static IncidentChange Correlate(Incident? open, DetectionFinding detection, string newIncidentId)
    {
        if (open is null || !open.IsOpen) return new(Incident.Open(newIncidentId, detection), IncidentChangeKind.Opened);
        var merged = open.Merge(detection);
        return new(merged, merged.Severity > open.Severity ? IncidentChangeKind.SeverityRaised : IncidentChangeKind.Updated);
    }

    /// <summary>Applies a whole outcome to an in-memory set of open incidents keyed by (device, cause); returns the changes in order.</summary>
    public static IReadOnlyList<IncidentChange> Apply(IDictionary<(string DeviceId, string Cause), Incident> open,
        DetectionOutcome outcome, Func<string> newIncidentId)
    {
        var changes = new List<IncidentChange>();
        foreach (var detection in outcome.Detections)
        {
            var key = (detection.DeviceId, detection.Cause);
            open.TryGetValue(key, out var current);
            var change = Correlate(current, detection, current is { IsOpen: true } ? "" : newIncidentId());
            open[key] = change.Incident;
            changes.Add(change);
        }
        foreach (var clear in outcome.Clears)
        {
            if (open.TryGetValue((clear.DeviceId, clear.Cause), out var current) && current.IsOpen)
                open[(clear.DeviceId, clear.Cause)] = current.NoteCleared(clear);
        }
        return changes;
    }
}

/// <summary>Mean and median time to detect and to recover over a set of incidents (dismissed ones are left out).</summary>
public sealed record IncidentResponseTimes(int Incidents, TimeSpan? MeanTimeToDetect, TimeSpan? MedianTimeToDetect,
    int Recovered, TimeSpan? MeanTimeToRecover, TimeSpan? MedianTimeToRecover)
{
    public static IncidentResponseTimes Of(IEnumerable<Incident> incidents)
    {
        var real = incidents.Where(i => i.Status != IncidentStatus.Dismissed).ToList();
        var detect = real.Select(i => i.TimeToDetect).ToList();
        var recover = real.Where(i => i.TimeToRecover.HasValue).Select(i => i.TimeToRecover!.Value).ToList();
        return new(real.Count, Mean(detect), Median(detect), recover.Count, Mean(recover), Median(recover));
    }

    private static TimeSpan? Mean(List<TimeSpan> values) =>
        values.Count == 0 ? null : TimeSpan.FromTicks((long)values.Average(v => (double)v.Ticks));

    private static TimeSpan? Median(List<TimeSpan> values)
    {
        if (values.Count == 0) return null;
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
