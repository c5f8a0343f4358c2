using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Siem;

namespace Fleetward.Core.Tests.Incidents;

public sealed class IncidentResponderTests
{
    private static readonly DateTimeOffset Now = IncidentTests.T0.AddSeconds(30);
    private static readonly IncidentResponder Responder = new(ResponsePolicy.Default, new OcsfEventFactory(new OcsfProduct("Fleetward", "Fleetward", "test")));

    private static DetectionOutcome Outcome(params DetectionFinding[] found) => new(DetectionOutcomeStatus.Scored, found, []);

    [Fact]
    public void Mirai_signals_open_one_incident_quarantine_once_and_contain_it()
    {
        var ids = 0;
        var round = Responder.Respond(
            Outcome(IncidentTests.Found("telnet-scan", DetectionSeverity.Critical), IncidentTests.Found("listener-takeover", DetectionSeverity.Critical), IncidentTests.Found("deleted-executable")),
            DeviceLifecycleState.Active, (_, _) => null, () => $"inc-{++ids}", Now);

        Assert.Equal(1, ids);
        Assert.Equal([IncidentChangeKind.Opened, IncidentChangeKind.Updated, IncidentChangeKind.Updated], round.Changes.Select(c => c.Kind));
        var incident = Assert.Single(round.Incidents);
        Assert.Equal(IncidentStatus.Contained, incident.Status);
        Assert.Equal(3, incident.DetectionCount);
        Assert.Equal([ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials], round.Responses.Select(r => r.Action));
        Assert.Equal(DeviceLifecycleState.Quarantined, round.DeviceStateAfter);
        Assert.Equal([2004, 2005, 2004, 2004], round.SiemEvents.Select(e => e.ClassUid));
        Assert.Contains("\"status_id\":2", round.SiemEvents[1].Json);
    }

    [Fact]
    public void A_second_cause_in_the_same_round_is_contained_by_the_quarantine_already_planned()
    {
        var ids = 0;
        var round = Responder.Respond(
            Outcome(IncidentTests.Found("telnet-scan", DetectionSeverity.Critical), IncidentTests.Found("tamper-switch", DetectionSeverity.High, cause: DetectionCauses.Tamper)),
            DeviceLifecycleState.Active, (_, _) => null, () => $"inc-{++ids}", Now);
        Assert.Equal(2, round.Incidents.Count);
        Assert.All(round.Incidents, i => Assert.Equal(IncidentStatus.Contained, i.Status));
        // Tamper at High only offers actions; the Mirai incident's responses are all that run.
        Assert.Equal([ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials], round.Responses.Select(r => r.Action));
        Assert.Equal("device is quarantined", round.Incidents.Single(i => i.Cause == DetectionCauses.Tamper).Timeline[^1].Detail);
    }

    [Fact]
    public void Automatic_quarantine_of_an_already_quarantined_device_is_skipped_and_the_incident_contained()
    {
        var round = Responder.Respond(Outcome(IncidentTests.Found("telnet-scan", DetectionSeverity.Critical)),
            DeviceLifecycleState.Quarantined, (_, _) => null, () => "inc-9", Now);
        Assert.Contains(round.Skipped, s => s.Action == ResponseAction.Quarantine && s.Reason == "device is already quarantined");
        Assert.Equal(IncidentStatus.Contained, Assert.Single(round.Incidents).Status);
    }

    [Fact]
    public void Escalation_of_an_open_incident_does_not_repeat_actions_taken()
    {
        var open = Incident.Open("inc-1", IncidentTests.Found("deleted-executable", DetectionSeverity.High)).Contain(Now, "p", "").Incident!;
        var taken = new HashSet<ResponseAction> { ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials };
        var round = Responder.Respond(Outcome(IncidentTests.Found("telnet-scan", DetectionSeverity.Critical, detectedAfterSeconds: 90)),
            DeviceLifecycleState.Quarantined, (d, c) => d == "dev-1" && c == DetectionCauses.MiraiLike ? new OpenIncidentRecord(open, taken) : null,
            () => throw new InvalidOperationException("no new incident expected"), Now.AddMinutes(1));
        Assert.Equal(IncidentChangeKind.SeverityRaised, Assert.Single(round.Changes).Kind);
        Assert.Empty(round.Responses);
        Assert.Equal(DetectionSeverity.Critical, Assert.Single(round.Incidents).Severity);
    }

    [Fact]
    public void Repeat_detections_only_update_and_clears_are_noted()
    {
        var open = Incident.Open("inc-1", IncidentTests.Found("device-baseline", DetectionSeverity.Medium, cause: "anomaly.power_watts"));
        var outcome = new DetectionOutcome(DetectionOutcomeStatus.Scored, [],
            [new DetectionClear("dev-1", "anomaly.power_watts", "device-baseline", Now, 9)]);
        var round = Responder.Respond(outcome, DeviceLifecycleState.Active,
            (_, _) => new OpenIncidentRecord(open, new HashSet<ResponseAction>()), () => "unused", Now);
        Assert.Empty(round.Changes);
        Assert.Equal(IncidentEventKind.AlarmCleared, Assert.Single(round.Incidents).Timeline[^1].Kind);
        Assert.Empty(round.SiemEvents);
    }
}
