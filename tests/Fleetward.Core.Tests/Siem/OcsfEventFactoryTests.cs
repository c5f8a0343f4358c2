using System.Text.Json;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Siem;

namespace Fleetward.Core.Tests.Siem;

public sealed class OcsfEventFactoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
    private static readonly OcsfEventFactory Factory = new(new OcsfProduct("Fleetward", "Fleetward", "0.1.0"));

    private static readonly DetectionFinding Mirai = new("dev-1", DetectionCauses.MiraiLike, "telnet-scan", DetectionSeverity.Critical,
        "telnet connections to 12 distinct addresses", T0, T0.AddSeconds(2), 42, [new("distinct_telnet_peers", "12")]);

    [Fact]
    public void Detection_finding_has_the_exact_ocsf_shape()
    {
        var e = Factory.DetectionFinding(Mirai, "inc-7");
        const string expected = """{"class_uid":2004,"class_name":"Detection Finding","category_uid":2,"category_name":"Findings","activity_id":1,"activity_name":"Create","type_uid":200401,"type_name":"Detection Finding: Create","severity_id":5,"severity":"Critical","time":1795255202000,"metadata":{"version":"1.3.0","product":{"name":"Fleetward","vendor_name":"Fleetward","version":"0.1.0"},"correlation_uid":"inc-7"},"message":"telnet connections to 12 distinct addresses","is_alert":true,"status_id":1,"status":"New","start_time":1795255200000,"finding_info":{"uid":"dev-1:42:telnet-scan","title":"mirai-like on dev-1","desc":"telnet connections to 12 distinct addresses","types":["mirai-like"],"analytic":{"name":"telnet-scan","type_id":2,"type":"Behavioral"},"first_seen_time":1795255200000,"created_time":1795255202000},"device":{"uid":"dev-1","type_id":7,"type":"IOT"},"unmapped":{"sequence":42,"evidence":[{"name":"distinct_telnet_peers","value":"12"}]}}""";
        Assert.Equal(expected, e.Json);
        Assert.Equal(200401, e.TypeUid);
        Assert.Equal(1795255202000, T0.AddSeconds(2).ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Incident_finding_activity_and_status_follow_the_lifecycle()
    {
        var opened = Incident.Open("inc-7", Mirai);
        var created = Parse(Factory.IncidentFinding(opened, T0.AddSeconds(2)));
        Assert.Equal(2005, created.GetProperty("class_uid").GetInt32());
        Assert.Equal(1, created.GetProperty("activity_id").GetInt32());
        Assert.Equal(1, created.GetProperty("status_id").GetInt32());
        Assert.Equal("inc-7", created.GetProperty("finding_info_list")[0].GetProperty("uid").GetString());
        Assert.Equal("fleet-operators", created.GetProperty("assignee_group").GetProperty("name").GetString());
        Assert.Equal(2000, created.GetProperty("unmapped").GetProperty("mttd_ms").GetInt64());

        var contained = opened.Contain(T0.AddMinutes(1), "fleetward:playbook", "quarantined").Incident!;
        var updated = Parse(Factory.IncidentFinding(contained, T0.AddMinutes(1)));
        Assert.Equal(2, updated.GetProperty("activity_id").GetInt32());
        Assert.Equal(2, updated.GetProperty("status_id").GetInt32());

        var recovered = contained.Recover(T0.AddMinutes(31), "alice", "re-imaged").Incident!;
        var closed = Parse(Factory.IncidentFinding(recovered, T0.AddMinutes(31)));
        Assert.Equal(3, closed.GetProperty("activity_id").GetInt32());
        Assert.Equal(4, closed.GetProperty("status_id").GetInt32());
        Assert.Equal(200503, closed.GetProperty("type_uid").GetInt64());
        Assert.Equal((long)TimeSpan.FromMinutes(31).Subtract(TimeSpan.FromSeconds(2)).TotalMilliseconds, closed.GetProperty("unmapped").GetProperty("mttr_ms").GetInt64());
    }

    [Fact]
    public void Quarantine_is_a_network_remediation_isolate()
    {
        var quarantine = PlaybookPlanner.PlanOperatorAction(ResponseAction.Quarantine, "dev-1", null, DeviceLifecycleState.Active, "alice", "suspicious", T0).Response!;
        var e = Factory.Remediation(quarantine, "cmd-1", T0, OcsfStatus.Success, DetectionSeverity.Critical);
        var json = Parse(e);
        Assert.Equal(7004, json.GetProperty("class_uid").GetInt32());
        Assert.Equal(7, json.GetProperty("category_uid").GetInt32());
        Assert.Equal(1, json.GetProperty("activity_id").GetInt32());
        Assert.Equal(700401, json.GetProperty("type_uid").GetInt64());
        Assert.Equal("cmd-1", json.GetProperty("command_uid").GetString());
        Assert.Equal(0, json.GetProperty("connection_info").GetProperty("direction_id").GetInt32());
        var countermeasure = json.GetProperty("countermeasures")[0];
        Assert.Equal("Isolate", countermeasure.GetProperty("d3f_tactic").GetProperty("name").GetString());
        Assert.Equal("Network Isolation", countermeasure.GetProperty("d3f_technique").GetProperty("name").GetString());
        Assert.Equal("alice", json.GetProperty("actor").GetProperty("user").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(ResponseAction.ReleaseFromQuarantine, 7004, 3)]
    [InlineData(ResponseAction.RotateCredentials, 7001, 2)]
    [InlineData(ResponseAction.Zeroize, 7001, 2)]
    [InlineData(ResponseAction.ForceReattestation, 7001, 4)]
    [InlineData(ResponseAction.ForensicLogPull, 7001, 99)]
    public void Other_responses_map_to_the_closest_remediation_class(ResponseAction action, int classUid, int activityId)
    {
        var response = PlaybookPlanner.PlanOperatorAction(action, "dev-1", null, DeviceLifecycleState.Quarantined, "alice", "why", T0).Response!;
        var e = Factory.Remediation(response, "cmd-2", T0, OcsfStatus.Success);
        Assert.Equal(classUid, e.ClassUid);
        Assert.Equal(activityId, e.ActivityId);
        Assert.Equal(classUid, Parse(e).GetProperty("class_uid").GetInt32());
    }

    [Fact]
    public void Cef_escapes_header_and_extension()
    {
        var finding = Mirai with { Summary = "a|b\\c", Evidence = [new("peer", "1.2.3.4")] };
        Assert.Equal("CEF:0|Fleetward|Fleetward|0.1.0|mirai-like/telnet-scan|a\\|b\\\\c|10|rt=1795255202000 start=1795255200000 dvchost=dev-1 cat=mirai-like msg=peer\\=1.2.3.4",
            CefFormatter.Format(new OcsfProduct("Fleetward", "Fleetward", "0.1.0"), finding));
    }

    private static JsonElement Parse(OcsfEvent e) => JsonDocument.Parse(e.Json).RootElement;
}
