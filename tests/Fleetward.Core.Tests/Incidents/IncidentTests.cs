using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;

namespace Fleetward.Core.Tests.Incidents;

public sealed class IncidentTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    internal static DetectionFinding Found(string signal = "telnet-scan", DetectionSeverity severity = DetectionSeverity.High,
        int detectedAfterSeconds = 30, string cause = DetectionCauses.MiraiLike, string device = "dev-1", int anomalyAtSeconds = 0) =>
        new(device, cause, signal, severity, $"{signal} found", T0.AddSeconds(anomalyAtSeconds), T0.AddSeconds(detectedAfterSeconds), 7, []);

    private static Incident Opened() => Incident.Open("inc-1", Found());

    [Fact]
    public void Opening_records_the_detection_and_mttd()
    {
        var incident = Opened();
        Assert.Equal(IncidentStatus.Detected, incident.Status);
        Assert.True(incident.IsOpen);
        Assert.Equal(TimeSpan.FromSeconds(30), incident.TimeToDetect);
        Assert.Null(incident.TimeToRecover);
        Assert.Equal(IncidentEventKind.Detected, Assert.Single(incident.Timeline).Kind);
    }

    [Fact]
    public void Full_lifecycle_detected_contained_eradicated_recovered_gives_mttr()
    {
        var incident = Opened();
        incident = incident.Contain(T0.AddMinutes(1), "fleetward:playbook", "quarantined").Incident!;
        Assert.Equal(IncidentStatus.Contained, incident.Status);
        incident = incident.Eradicate(T0.AddMinutes(30), "alice", "re-imaged").Incident!;
        incident = incident.Recover(T0.AddMinutes(45), "alice", "released").Incident!;
        Assert.Equal(IncidentStatus.Recovered, incident.Status);
        Assert.False(incident.IsOpen);
        Assert.Equal(TimeSpan.FromMinutes(45) - TimeSpan.FromSeconds(30), incident.TimeToRecover);
        Assert.Equal([IncidentEventKind.Detected, IncidentEventKind.Contained, IncidentEventKind.Eradicated, IncidentEventKind.Recovered],
            incident.Timeline.Select(t => t.Kind));
        Assert.Equal(T0.AddMinutes(1), incident.ContainedAt);
        Assert.Equal(T0.AddMinutes(30), incident.EradicatedAt);
    }

    [Fact]
    public void Evidence_is_noted_on_the_timeline_even_after_the_incident_closed()
    {
        var recovered = Opened().Recover(T0.AddMinutes(1), "a", "").Incident!;
        var noted = recovered.NoteEvidence(T0.AddMinutes(2), "device:dev-1", "forensic bundle fb-1 sha256 ab");
        var entry = noted.Timeline[^1];
        Assert.Equal((IncidentEventKind.EvidenceCollected, "device:dev-1", "forensic bundle fb-1 sha256 ab"), (entry.Kind, entry.Actor, entry.Detail));
        Assert.Equal(IncidentStatus.Recovered, noted.Status);
    }

    [Fact]
    public void Contain_only_from_detected()
    {
        var contained = Opened().Contain(T0.AddMinutes(1), "a", "").Incident!;
        var again = contained.Contain(T0.AddMinutes(2), "a", "");
        Assert.False(again.Succeeded);
        Assert.Contains("only a detected incident", again.RefusalReason);
    }

    [Fact]
    public void Eradicate_is_refused_after_recovery()
    {
        var recovered = Opened().Recover(T0.AddMinutes(1), "a", "").Incident!;
        Assert.False(recovered.Eradicate(T0.AddMinutes(2), "a", "").Succeeded);
        Assert.False(recovered.Recover(T0.AddMinutes(2), "a", "").Succeeded);
    }

    [Fact]
    public void Recover_directly_from_detected_is_allowed()
    {
        Assert.True(Opened().Recover(T0.AddMinutes(5), "a", "alarm cleared, verified").Succeeded);
    }

    [Fact]
    public void Transitions_cannot_go_back_in_time_or_lack_an_actor()
    {
        var contained = Opened().Contain(T0.AddMinutes(10), "a", "").Incident!;
        Assert.Contains("before", contained.Recover(T0.AddMinutes(5), "a", "").RefusalReason);
        Assert.Contains("before", Opened().Contain(T0, "a", "").RefusalReason);
        Assert.Equal("an actor is required", Opened().Contain(T0.AddMinutes(1), " ", "").RefusalReason);
    }

    [Fact]
    public void Dismiss_needs_a_reason_and_is_not_a_recovery()
    {
        Assert.Equal("dismissing needs a reason", Opened().Dismiss(T0.AddMinutes(1), "a", "").RefusalReason);
        var dismissed = Opened().Dismiss(T0.AddMinutes(1), "a", "lab test").Incident!;
        Assert.Equal(IncidentStatus.Dismissed, dismissed.Status);
        Assert.Null(dismissed.TimeToRecover);
        var eradicated = Opened().Eradicate(T0.AddMinutes(1), "a", "").Incident!;
        Assert.False(eradicated.Dismiss(T0.AddMinutes(2), "a", "oops").Succeeded);
    }

    [Fact]
    public void Merge_counts_detections_raises_severity_and_keeps_the_earliest_anomaly()
    {
        var incident = Opened().Merge(Found("deleted-executable", DetectionSeverity.Critical, detectedAfterSeconds: 90, anomalyAtSeconds: -60));
        Assert.Equal(2, incident.DetectionCount);
        Assert.Equal(DetectionSeverity.Critical, incident.Severity);
        Assert.Equal(["telnet-scan", "deleted-executable"], incident.Signals);
        Assert.Equal(T0.AddSeconds(-60), incident.FirstAnomalousAt);
        Assert.Equal(T0.AddSeconds(30), incident.DetectedAt);
        Assert.Equal(T0.AddSeconds(90), incident.LastDetectedAt);
        Assert.Contains(incident.Timeline, t => t.Kind == IncidentEventKind.SeverityRaised);

        var lower = incident.Merge(Found("telnet-scan", DetectionSeverity.Low, detectedAfterSeconds: 120));
        Assert.Equal(DetectionSeverity.Critical, lower.Severity);
        Assert.Equal(2, lower.Signals.Count);
    }

    [Fact]
    public void Merge_rejects_other_causes_and_closed_incidents()
    {
        Assert.Throws<ArgumentException>(() => Opened().Merge(Found(cause: DetectionCauses.Tamper)));
        var closed = Opened().Recover(T0.AddMinutes(1), "a", "").Incident!;
        Assert.Throws<InvalidOperationException>(() => closed.Merge(Found()));
    }

    [Fact]
    public void Json_round_trips_with_its_timeline()
    {
        var incident = Opened().Merge(Found("deleted-executable", DetectionSeverity.Critical, 60)).Contain(T0.AddMinutes(1), "fleetward:playbook", "quarantined").Incident!;
        var json = System.Text.Json.JsonSerializer.Serialize(incident, IncidentJsonContext.Default.Incident);
        Assert.Contains("\"status\":\"Contained\"", json);
        Assert.Contains("\"first_anomalous_at\":", json);
        Assert.DoesNotContain("is_open", json);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, IncidentJsonContext.Default.Incident)!;
        Assert.Equal(incident.Timeline, back.Timeline);
        Assert.Equal(incident.Signals, back.Signals);
        Assert.Equal(incident with { Timeline = back.Timeline, Signals = back.Signals }, back);
    }

    [Fact]
    public void Timeline_is_bounded()
    {
        var incident = Opened();
        for (var i = 0; i < 500; i++) incident = incident.Merge(Found(detectedAfterSeconds: 60 + i));
        Assert.Equal(501, incident.DetectionCount);
        Assert.Equal(Incident.MaxTimelineEntries, incident.Timeline.Count);
        Assert.True(incident.Contain(T0.AddHours(1), "a", "").Incident!.Timeline.Count > Incident.MaxTimelineEntries);
    }
}

public sealed class IncidentCorrelatorTests
{
    [Fact]
    public void Groups_by_device_and_cause()
    {
        var open = new Dictionary<(string, string), Incident>();
        var ids = 0;
        var outcome = new DetectionOutcome(DetectionOutcomeStatus.Scored,
        [
            IncidentTests.Found("telnet-scan", DetectionSeverity.Critical),
            IncidentTests.Found("deleted-executable"),
            IncidentTests.Found("tamper-switch", cause: DetectionCauses.Tamper),
            IncidentTests.Found("telnet-scan", device: "dev-2"),
        ], []);
        var changes = IncidentCorrelator.Apply(open, outcome, () => $"inc-{++ids}");
        Assert.Equal([IncidentChangeKind.Opened, IncidentChangeKind.Updated, IncidentChangeKind.Opened, IncidentChangeKind.Opened], changes.Select(c => c.Kind));
        Assert.Equal(3, open.Count);
        Assert.Equal(3, ids);
        Assert.Equal(2, open[("dev-1", DetectionCauses.MiraiLike)].DetectionCount);
    }

    [Fact]
    public void A_detection_after_recovery_opens_a_new_incident()
    {
        var recovered = Incident.Open("inc-1", IncidentTests.Found()).Recover(IncidentTests.T0.AddMinutes(1), "a", "").Incident!;
        var change = IncidentCorrelator.Correlate(recovered, IncidentTests.Found(detectedAfterSeconds: 600), "inc-2");
        Assert.Equal(IncidentChangeKind.Opened, change.Kind);
        Assert.Equal("inc-2", change.Incident.Id);
    }

    [Fact]
    public void Escalation_is_reported()
    {
        var open = Incident.Open("inc-1", IncidentTests.Found(severity: DetectionSeverity.Medium));
        Assert.Equal(IncidentChangeKind.SeverityRaised, IncidentCorrelator.Correlate(open, IncidentTests.Found(severity: DetectionSeverity.Critical), "x").Kind);
    }

    [Fact]
    public void Clears_are_noted_on_the_open_incident()
    {
        var open = new Dictionary<(string, string), Incident> { [("dev-1", DetectionCauses.MiraiLike)] = Incident.Open("inc-1", IncidentTests.Found()) };
        IncidentCorrelator.Apply(open, new DetectionOutcome(DetectionOutcomeStatus.Scored, [],
            [new DetectionClear("dev-1", DetectionCauses.MiraiLike, "telnet-scan", IncidentTests.T0.AddMinutes(9), 9)]), () => "unused");
        Assert.Equal(IncidentEventKind.AlarmCleared, open[("dev-1", DetectionCauses.MiraiLike)].Timeline[^1].Kind);
        Assert.True(open[("dev-1", DetectionCauses.MiraiLike)].IsOpen);
    }

    [Fact]
    public void Response_times_average_and_skip_dismissed()
    {
        var a = Incident.Open("a", IncidentTests.Found(detectedAfterSeconds: 10)).Recover(IncidentTests.T0.AddSeconds(110), "x", "").Incident!;
        var b = Incident.Open("b", IncidentTests.Found(detectedAfterSeconds: 30));
        var c = Incident.Open("c", IncidentTests.Found(detectedAfterSeconds: 1000)).Dismiss(IncidentTests.T0.AddHours(1), "x", "fp").Incident!;
        var times = IncidentResponseTimes.Of([a, b, c]);
        Assert.Equal(2, times.Incidents);
        Assert.Equal(TimeSpan.FromSeconds(20), times.MeanTimeToDetect);
        Assert.Equal(TimeSpan.FromSeconds(20), times.MedianTimeToDetect);
        Assert.Equal(1, times.Recovered);
        Assert.Equal(TimeSpan.FromSeconds(100), times.MeanTimeToRecover);
    }
}
