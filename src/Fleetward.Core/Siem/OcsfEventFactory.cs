using System.Text.Json.Nodes;
using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;

namespace Fleetward.Core.Siem;

/// <summary>Who produced the events (OCSF <c>metadata.product</c>).</summary>
public sealed record OcsfProduct(string Name, string VendorName, string Version);

/// <summary>Outcome of a remediation as OCSF <c>status_id</c> reports it.</summary>
public enum OcsfStatus
{
    Unknown = 0,
    Success = 1,
    Failure = 2,
}

/// <summary>
/// One OCSF event ready to ship: the JSON body and the few fields transports put in their own headers
/// (syslog MSGID, PRI severity, structured data).
/// </summary>
public sealed record OcsfEvent(int ClassUid, int ActivityId, DetectionSeverity Severity, string DeviceUid, DateTimeOffset Time, string Json)
{
    public long TypeUid => ClassUid * 100L + ActivityId;
}

/// <summary>
/// Maps detections, incidents and responses onto OCSF 1.3 classes: Detection Finding (2004) per detection,
/// Incident Finding (2005) per incident change, Network Remediation Activity (7004) for quarantine and release, and
/// Remediation Activity (7001) for the responses that act on credentials, attestation and evidence. Remediation
/// activity ids follow the D3FEND tactics that OCSF adopts (Isolate 1, Evict 2, Restore 3, Harden 4); forensic
/// collection is a D3FEND Detect action, which OCSF remediation does not model, so it is reported as Other (99).
/// </summary>
public sealed class OcsfEventFactory(OcsfProduct product)
{
    public const string SchemaVersion = "1.3.0";
    public const int DetectionFindingClass = 2004;
    public const int IncidentFindingClass = 2005;
    public const int RemediationActivityClass = 7001;
    public const int NetworkRemediationActivityClass = 7004;

    /// <summary>OCSF device.type_id 7: IOT.</summary>
    private const int DeviceTypeIot = 7;

    /// <summary>A Detection Finding (2004, activity Create); the incident id, when known, is the correlation uid.</summary>
    public OcsfEvent DetectionFinding(DetectionFinding finding, string? incidentId)
    {
        var uid = $"{finding.DeviceId}:{finding.Sequence}:{finding.Signal}";
        var body = Base(DetectionFindingClass, "Detection Finding", 2, "Findings", 1, "Create", finding.Severity, finding.DetectedAt, incidentId);
        body["message"] = finding.Summary;
        body["is_alert"] = true;
        body["status_id"] = 1;
        body["status"] = "New";
        body["start_time"] = Millis(finding.FirstAnomalousAt);
        body["finding_info"] = new JsonObject
        {
            ["uid"] = uid,
            ["title"] = $"{finding.Cause} on {finding.DeviceId}",
            ["desc"] = finding.Summary,
            ["types"] = new JsonArray(finding.Cause),
            ["analytic"] = new JsonObject
            {
                ["name"] = finding.Signal,
                ["type_id"] = AnalyticType(finding.Signal),
                ["type"] = AnalyticTypeName(AnalyticType(finding.Signal)),
            },
            ["first_seen_time"] = Millis(finding.FirstAnomalousAt),
            ["created_time"] = Millis(finding.DetectedAt),
        };
        body["device"] = Device(finding.DeviceId);
        body["unmapped"] = new JsonObject
        {
            ["sequence"] = finding.Sequence,
            ["evidence"] = new JsonArray(finding.Evidence.Select(e => (JsonNode)new JsonObject { ["name"] = e.Name, ["value"] = e.Value }).ToArray()),
        };
        return Event(DetectionFindingClass, 1, finding.Severity, finding.DeviceId, finding.DetectedAt, body);
    }

    /// <summary>
    /// An Incident Finding (2005): Create when opened, Close once recovered or dismissed, Update otherwise. Incidents
    /// are worked by the operators group (OCSF asks for an assignee or assignee group).
    /// </summary>
    public OcsfEvent IncidentFinding(Incident incident, DateTimeOffset at, string assigneeGroup = "fleet-operators")
    {
        var (activityId, activity) = !incident.IsOpen ? (3, "Close")
            : incident.Timeline.Count == 1 ? (1, "Create") : (2, "Update");
        var (statusId, status) = incident.Status switch
        {
            IncidentStatus.Detected => (1, "New"),
            IncidentStatus.Contained or IncidentStatus.Eradicated => (2, "In Progress"),
            IncidentStatus.Recovered => (4, "Resolved"),
            _ => (5, "Closed"),
        };
        var body = Base(IncidentFindingClass, "Incident Finding", 2, "Findings", activityId, activity, incident.Severity, at, incident.Id);
        body["message"] = incident.Summary;
        body["desc"] = $"{incident.Cause} on {incident.DeviceId}: {incident.Summary}";
        body["status_id"] = statusId;
        body["status"] = status;
        body["start_time"] = Millis(incident.FirstAnomalousAt);
        body["end_time"] = Millis(incident.LastDetectedAt);
        body["assignee_group"] = new JsonObject { ["name"] = assigneeGroup };
        body["finding_info_list"] = new JsonArray(new JsonObject
        {
            ["uid"] = incident.Id,
            ["title"] = $"{incident.Cause} on {incident.DeviceId}",
            ["types"] = new JsonArray(incident.Cause),
            ["first_seen_time"] = Millis(incident.FirstAnomalousAt),
            ["last_seen_time"] = Millis(incident.LastDetectedAt),
        });
        body["device"] = Device(incident.DeviceId);
        var unmapped = new JsonObject
        {
            ["incident_status"] = incident.Status.ToName(),
            ["detection_count"] = incident.DetectionCount,
            ["signals"] = new JsonArray(incident.Signals.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["detected_time"] = Millis(incident.DetectedAt),
            ["mttd_ms"] = (long)incident.TimeToDetect.TotalMilliseconds,
        };
        if (incident.ContainedAt is { } contained) unmapped["contained_time"] = Millis(contained);
        if (incident.EradicatedAt is { } eradicated) unmapped["eradicated_time"] = Millis(eradicated);
        if (incident.RecoveredAt is { } recovered) unmapped["recovered_time"] = Millis(recovered);
        if (incident.TimeToRecover is { } mttr) unmapped["mttr_ms"] = (long)mttr.TotalMilliseconds;
        body["unmapped"] = unmapped;
        return Event(IncidentFindingClass, activityId, incident.Severity, incident.DeviceId, at, body);
    }

    /// <summary>
    /// A remediation event for one carried-out response. <paramref name="commandUid"/> is the id of the signed
    /// command sent to the device (OCSF requires <c>command_uid</c>).
    /// </summary>
    public OcsfEvent Remediation(PlannedResponse response, string commandUid, DateTimeOffset at, OcsfStatus status,
        DetectionSeverity severity = DetectionSeverity.Informational)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandUid);
        var m = RemediationMapping.For(response.Action);
        var body = Base(m.ClassUid, m.ClassName, 7, "Remediation", m.ActivityId, m.ActivityName, severity, at, response.IncidentId);
        body["message"] = $"{response.Action.ToName()} {response.DeviceId} by {response.Actor}" + (response.Reason.Length > 0 ? $": {response.Reason}" : "");
        body["status_id"] = (int)status;
        body["status"] = status.ToString();
        body["command_uid"] = commandUid;
        body["actor"] = new JsonObject { ["user"] = new JsonObject { ["name"] = response.Actor } };
        body["device"] = Device(response.DeviceId);
        var countermeasure = new JsonObject { ["d3f_tactic"] = new JsonObject { ["name"] = m.Tactic } };
        if (m.Technique is { } technique)
        {
            countermeasure["d3f_technique"] = new JsonObject
            {
                ["name"] = technique.Name,
                ["src_url"] = $"https://d3fend.mitre.org/technique/d3f:{technique.Iri}/",
            };
        }
        if (m.Tactic is not null) body["countermeasures"] = new JsonArray(countermeasure);
        if (m.ClassUid == NetworkRemediationActivityClass)
        {
            // The whole device is cut off, in both directions: no single connection is the target.
            body["connection_info"] = new JsonObject { ["direction_id"] = 0, ["direction"] = "Unknown" };
        }
        body["unmapped"] = new JsonObject { ["response_action"] = response.Action.ToName(), ["reason"] = response.Reason };
        return Event(m.ClassUid, m.ActivityId, severity, response.DeviceId, at, body);
    }

    private JsonObject Base(int classUid, string className, int categoryUid, string categoryName, int activityId, string activityName,
        DetectionSeverity severity, DateTimeOffset time, string? correlationUid)
    {
        var metadata = new JsonObject
        {
            ["version"] = SchemaVersion,
            ["product"] = new JsonObject { ["name"] = product.Name, ["vendor_name"] = product.VendorName, ["version"] = product.Version },
        };
        if (correlationUid is not null) metadata["correlation_uid"] = correlationUid;
        return new JsonObject
        {
            ["class_uid"] = classUid,
            ["class_name"] = className,
            ["category_uid"] = categoryUid,
            ["category_name"] = categoryName,
            ["activity_id"] = activityId,
            ["activity_name"] = activityName,
            ["type_uid"] = classUid * 100L + activityId,
            ["type_name"] = $"{className}: {activityName}",
            ["severity_id"] = (int)severity,
            ["severity"] = severity.ToString(),
            ["time"] = Millis(time),
            ["metadata"] = metadata,
        };
    }

    private static JsonObject Device(string deviceId) => new() { ["uid"] = deviceId, ["type_id"] = DeviceTypeIot, ["type"] = "IOT" };

    private static OcsfEvent Event(int classUid, int activityId, DetectionSeverity severity, string deviceId, DateTimeOffset time, JsonObject body) =>
        new(classUid, activityId, severity, deviceId, time, body.ToJsonString());

    private static long Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary>OCSF analytic.type_id: 1 Rule, 2 Behavioral, 3 Statistical.</summary>
    private static int AnalyticType(string signal) => signal switch
    {
        "device-baseline" or "model-baseline" => 3,
        "telnet-scan" or "listener-takeover" or "reboot-burst" or "geofence" => 2,
        _ => 1,
    };

    private static string AnalyticTypeName(int typeId) => typeId switch { 3 => "Statistical", 2 => "Behavioral", _ => "Rule" };

    private sealed record Technique(string Name, string Iri);

    private sealed record RemediationMapping(int ClassUid, string ClassName, int ActivityId, string ActivityName, string? Tactic, Technique? Technique)
    {
        public static RemediationMapping For(ResponseAction action) => action switch
        {
            ResponseAction.Quarantine => new(NetworkRemediationActivityClass, "Network Remediation Activity", 1, "Isolate", "Isolate", new("Network Isolation", "NetworkIsolation")),
            ResponseAction.ReleaseFromQuarantine => new(NetworkRemediationActivityClass, "Network Remediation Activity", 3, "Restore", "Restore", null),
            ResponseAction.RotateCredentials => new(RemediationActivityClass, "Remediation Activity", 2, "Evict", "Evict", new("Credential Revoking", "CredentialRevoking")),
            ResponseAction.Zeroize => new(RemediationActivityClass, "Remediation Activity", 2, "Evict", "Evict", new("Credential Revoking", "CredentialRevoking")),
            ResponseAction.ForceReattestation => new(RemediationActivityClass, "Remediation Activity", 4, "Harden", "Harden", new("TPM Boot Integrity", "TPMBootIntegrity")),
            ResponseAction.ForensicLogPull => new(RemediationActivityClass, "Remediation Activity", 99, "Collect Forensic Logs", null, null),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        };
    }
}
