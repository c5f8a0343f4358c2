namespace Fleetward.Core.Detection;

/// <summary>How bad a finding is. The numbers are OCSF <c>severity_id</c> values, so SIEM export needs no table.</summary>
public enum DetectionSeverity
{
    Informational = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    Critical = 5,
}

/// <summary>One named fact that supports a detection (an address, a port, a value and its baseline).</summary>
public sealed record DetectionEvidence(string Name, string Value);

/// <summary>
/// A detector's finding on one report. <see cref="Cause"/> is what incidents group by (several signals can share
/// one cause, e.g. the three Mirai-like signals); <see cref="Signal"/> says which check fired.
/// <see cref="FirstAnomalousAt"/> is the sample time of the first breaching datapoint, so MTTD counts the
/// consecutive datapoints a rule waited for.
/// </summary>
public sealed record DetectionFinding(
    string DeviceId,
    string Cause,
    string Signal,
    DetectionSeverity Severity,
    string Summary,
    DateTimeOffset FirstAnomalousAt,
    DateTimeOffset DetectedAt,
    long Sequence,
    IReadOnlyList<DetectionEvidence> Evidence);

/// <summary>A latched alarm that returned to normal (the "M datapoints to clear" side of a rule).</summary>
public sealed record DetectionClear(string DeviceId, string Cause, string Signal, DateTimeOffset SampledAt, long Sequence);

/// <summary>Stable cause names: they key incidents, playbook rules and SIEM finding types.</summary>
public static class DetectionCauses
{
    public const string MiraiLike = "mirai-like";
    public const string DestinationNotAllowed = "destination-not-allowed";
    public const string ListenerNotAllowed = "listener-not-allowed";
    public const string GeofenceExit = "geofence-exit";
    public const string Tamper = "tamper";
    public const string IntegrityFailure = "integrity-failure";
    public const string InstallFailure = "install-failure";
    public const string RebootBurst = "reboot-burst";

    /// <summary>A statistical anomaly of one metric, from the device's or the model's baseline.</summary>
    public static string Anomaly(TelemetryMetric metric) => "anomaly." + metric.ToName();

    /// <summary>An operator-defined threshold rule.</summary>
    public static string Rule(string ruleName) => "rule." + ruleName;
}
