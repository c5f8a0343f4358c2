using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;

namespace Fleetward.Core.Tests.Incidents;

public sealed class PlaybookPlannerTests
{
    private static readonly DateTimeOffset Now = IncidentTests.T0.AddMinutes(1);
    private static readonly HashSet<ResponseAction> None = [];

    private static Incident Mirai() => Incident.Open("inc-1", IncidentTests.Found(severity: DetectionSeverity.Critical));

    [Fact]
    public void Mirai_incident_is_quarantined_forensics_pulled_and_credentials_rotated_automatically()
    {
        var plan = PlaybookPlanner.PlanAutomatic(Mirai(), ResponsePolicy.Default, DeviceLifecycleState.Active, None, Now);
        Assert.Equal([ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials], plan.Automatic.Select(p => p.Action));
        Assert.Equal([ResponseAction.ForceReattestation, ResponseAction.Zeroize], plan.Offered);
        Assert.Empty(plan.Skipped);

        var quarantine = plan.Automatic[0];
        Assert.Equal(PlaybookPlanner.PlaybookActor, quarantine.Actor);
        Assert.Collection(quarantine.Effects,
            e => Assert.Equal(new SetDeviceStateEffect("dev-1", DeviceLifecycleState.Quarantined), e),
            e => Assert.Equal(new SendDeviceCommandEffect("dev-1", DeviceCommandKind.Isolate), e),
            e => Assert.Equal(IncidentStatus.Contained, Assert.IsType<AdvanceIncidentEffect>(e).To),
            e =>
            {
                var audit = Assert.IsType<AppendAuditEffect>(e).Event;
                Assert.Equal("response.quarantine", audit.Type);
                Assert.Equal(Now, audit.Time);
                Assert.Equal("dev-1", audit.Subject);
                Assert.Contains("\"incident_id\":\"inc-1\"", audit.PayloadJson);
                Assert.Contains("\"commands\":[\"isolate\"]", audit.PayloadJson);
            });
    }

    [Fact]
    public void Actions_already_taken_are_not_repeated_and_quarantine_of_a_quarantined_device_is_skipped()
    {
        var plan = PlaybookPlanner.PlanAutomatic(Mirai(), ResponsePolicy.Default, DeviceLifecycleState.Quarantined,
            new HashSet<ResponseAction> { ResponseAction.RotateCredentials }, Now);
        Assert.Equal([ResponseAction.ForensicLogPull], plan.Automatic.Select(p => p.Action));
        Assert.Equal(new SkippedResponse(ResponseAction.Quarantine, "device is already quarantined"), Assert.Single(plan.Skipped));
    }

    [Fact]
    public void Medium_incident_only_offers_actions()
    {
        var incident = Incident.Open("inc-2", IncidentTests.Found("device-baseline", DetectionSeverity.Medium, cause: "anomaly.power_watts"));
        var plan = PlaybookPlanner.PlanAutomatic(incident, ResponsePolicy.Default, DeviceLifecycleState.Active, None, Now);
        Assert.Empty(plan.Automatic);
        Assert.Equal([ResponseAction.ForensicLogPull, ResponseAction.ForceReattestation], plan.Offered);
    }

    [Fact]
    public void Integrity_failure_forces_reattestation()
    {
        var incident = Incident.Open("inc-3", IncidentTests.Found("integrity-check", DetectionSeverity.High, cause: DetectionCauses.IntegrityFailure));
        var plan = PlaybookPlanner.PlanAutomatic(incident, ResponsePolicy.Default, DeviceLifecycleState.Active, None, Now);
        var p = Assert.Single(plan.Automatic);
        Assert.Equal(ResponseAction.ForceReattestation, p.Action);
        Assert.Contains(new RequireReattestationEffect("dev-1"), p.Effects);
        Assert.Contains(new SendDeviceCommandEffect("dev-1", DeviceCommandKind.Reattest), p.Effects);
    }

    [Fact]
    public void Closed_incidents_plan_nothing_and_decommissioned_devices_are_skipped()
    {
        var closed = Mirai().Recover(Now, "a", "").Incident!;
        Assert.Empty(PlaybookPlanner.PlanAutomatic(closed, ResponsePolicy.Default, DeviceLifecycleState.Active, None, Now).Automatic);
        var plan = PlaybookPlanner.PlanAutomatic(Mirai(), ResponsePolicy.Default, DeviceLifecycleState.Decommissioned, None, Now);
        Assert.Empty(plan.Automatic);
        Assert.All(plan.Skipped, s => Assert.Equal("device is decommissioned", s.Reason));
    }

    [Fact]
    public void Policy_refuses_automatic_zeroize_or_release()
    {
        Assert.Throws<ArgumentException>(() => new ResponsePolicy([new(DetectionSeverity.Low, [ResponseAction.Zeroize], ResponseMode.Automatic)]));
        Assert.Throws<ArgumentException>(() => new ResponsePolicy([new(DetectionSeverity.Low, [ResponseAction.ReleaseFromQuarantine], ResponseMode.Automatic)]));
    }

    [Fact]
    public void Release_needs_operator_reason_and_a_quarantined_device()
    {
        var contained = Mirai().Contain(Now, PlaybookPlanner.PlaybookActor, "").Incident!;
        Assert.Equal("an operator name is required",
            PlaybookPlanner.PlanOperatorAction(ResponseAction.ReleaseFromQuarantine, "dev-1", contained, DeviceLifecycleState.Quarantined, "", "ok", Now).RefusalReason);
        Assert.Equal("release needs a reason",
            PlaybookPlanner.PlanOperatorAction(ResponseAction.ReleaseFromQuarantine, "dev-1", contained, DeviceLifecycleState.Quarantined, "alice", " ", Now).RefusalReason);
        Assert.Equal("device is active, not quarantined",
            PlaybookPlanner.PlanOperatorAction(ResponseAction.ReleaseFromQuarantine, "dev-1", contained, DeviceLifecycleState.Active, "alice", "ok", Now).RefusalReason);

        var decision = PlaybookPlanner.PlanOperatorAction(ResponseAction.ReleaseFromQuarantine, "dev-1", contained, DeviceLifecycleState.Quarantined, "alice", "re-imaged and verified", Now);
        Assert.True(decision.Approved);
        Assert.Equal("alice", decision.Response!.Actor);
        Assert.Contains(new SetDeviceStateEffect("dev-1", DeviceLifecycleState.Active), decision.Response.Effects);
        Assert.Contains(new SendDeviceCommandEffect("dev-1", DeviceCommandKind.Release), decision.Response.Effects);
        Assert.Equal(IncidentStatus.Recovered, decision.Response.Effects.OfType<AdvanceIncidentEffect>().Single().To);
        Assert.Equal("alice", decision.Response.Effects.OfType<AppendAuditEffect>().Single().Event.Actor);
    }

    [Fact]
    public void Zeroize_sends_the_command_before_revoking_and_needs_a_reason()
    {
        Assert.False(PlaybookPlanner.PlanOperatorAction(ResponseAction.Zeroize, "dev-1", null, DeviceLifecycleState.Active, "bob", null, Now).Approved);
        var decision = PlaybookPlanner.PlanOperatorAction(ResponseAction.Zeroize, "dev-1", null, DeviceLifecycleState.Quarantined, "bob", "stolen", Now);
        Assert.IsType<SendDeviceCommandEffect>(decision.Response!.Effects[0]);
        Assert.IsType<RevokeDeviceCredentialsEffect>(decision.Response.Effects[1]);
    }

    [Fact]
    public void Operator_action_on_the_wrong_device_is_refused()
    {
        var d = PlaybookPlanner.PlanOperatorAction(ResponseAction.Quarantine, "dev-9", Mirai(), DeviceLifecycleState.Active, "alice", null, Now);
        Assert.Equal("incident inc-1 is about device dev-1, not dev-9", d.RefusalReason);
    }

    [Theory]
    [InlineData(DeviceCommandKind.Isolate, "isolate")]
    [InlineData(DeviceCommandKind.UploadForensicLogs, "upload-forensic-logs")]
    [InlineData(DeviceCommandKind.Release, "release")]
    public void Command_names_round_trip(DeviceCommandKind kind, string name)
    {
        Assert.Equal(name, kind.ToName());
        Assert.True(DeviceCommandKindNames.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
    }
}
