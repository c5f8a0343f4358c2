using System.Globalization;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Detection;

/// <summary>
/// Raises when a robot leaves all of its geofences. A fix counts as outside only when it lies farther outside
/// than its own accuracy radius, and only <c>datapointsToAlarm</c> such fixes in a row alarm, so GPS noise at the
/// boundary does not.
/// </summary>
public sealed class GeofenceDetector(int datapointsToAlarm = 2, int datapointsToClear = 2) : Detector<ConsecutiveLatch>
{
    private const string Signal = "geofence";

    public override ConsecutiveLatch CreateState() => new(datapointsToAlarm, datapointsToClear);

    public override void Inspect(TelemetrySample sample, ConsecutiveLatch state, DetectionSink sink)
    {
        var fences = sample.Profile.Geofences;
        if (fences.Count == 0 || sample.Report.Sensors?.Gps is not { } fix) return;
        var point = new GeoPoint(fix.Latitude, fix.Longitude);
        var nearest = fences[0];
        var distance = nearest.SignedDistanceMeters(point);
        for (var i = 1; i < fences.Count; i++)
        {
            var d = fences[i].SignedDistanceMeters(point);
            if (d < distance) (nearest, distance) = (fences[i], d);
        }
        switch (state.Observe(distance > fix.AccuracyMeters, sample.SampledAt))
        {
            case LatchTransition.Alarmed:
                sink.Raise(DetectionCauses.GeofenceExit, Signal, DetectionSeverity.High,
                    $"device is {distance:F0} m outside geofence '{nearest.Name}'", state.FirstBreachAt ?? sample.SampledAt,
                    new DetectionEvidence("position", string.Create(CultureInfo.InvariantCulture, $"{fix.Latitude:F6},{fix.Longitude:F6}")),
                    new DetectionEvidence("accuracy_m", fix.AccuracyMeters.ToString("F1", CultureInfo.InvariantCulture)),
                    new DetectionEvidence("distance_outside_m", distance.ToString("F1", CultureInfo.InvariantCulture)),
                    new DetectionEvidence("geofence", nearest.Name));
                break;
            case LatchTransition.Cleared:
                sink.Clear(DetectionCauses.GeofenceExit, Signal);
                break;
        }
    }
}

/// <summary>Raises when the enclosure tamper switch reads open; clears when it closes again.</summary>
public sealed class TamperDetector : Detector<ConsecutiveLatch>
{
    private const string Signal = "tamper-switch";

    public override ConsecutiveLatch CreateState() => new(1, 1);

    public override void Inspect(TelemetrySample sample, ConsecutiveLatch state, DetectionSink sink)
    {
        if (sample.Report.Sensors?.TamperOpen is not { } open) return;
        switch (state.Observe(open, sample.SampledAt))
        {
            case LatchTransition.Alarmed:
                sink.Raise(DetectionCauses.Tamper, Signal, DetectionSeverity.High, "enclosure tamper switch is open",
                    sample.SampledAt, new DetectionEvidence("tamper_open", "true"));
                break;
            case LatchTransition.Cleared:
                sink.Clear(DetectionCauses.Tamper, Signal);
                break;
        }
    }
}

/// <summary>
/// Turns the agent's own failed integrity checks (High: the device's software may be modified) and failed installs
/// (Low: an update problem rather than an attack, but worth a look) into detections. Each report carries only new
/// failures, so every non-empty report raises.
/// </summary>
public sealed class AgentFailureDetector : Detector<NoState>
{
    private const int MaxEvidence = 8;

    public override NoState CreateState() => NoState.Instance;

    public override void Inspect(TelemetrySample sample, NoState state, DetectionSink sink)
    {
        Raise(sample.Report.IntegrityFailures, DetectionCauses.IntegrityFailure, "integrity-check", DetectionSeverity.High, "integrity check(s) failed", sample, sink);
        Raise(sample.Report.InstallFailures, DetectionCauses.InstallFailure, "install", DetectionSeverity.Low, "install(s) failed", sample, sink);
    }

    private static void Raise(IReadOnlyList<AgentFailure> failures, string cause, string signal, DetectionSeverity severity,
        string what, TelemetrySample sample, DetectionSink sink)
    {
        if (failures.Count == 0) return;
        var evidence = failures.Take(MaxEvidence).Select(f => new DetectionEvidence(f.Subject, f.Reason)).ToArray();
        sink.Raise(cause, signal, severity, $"{failures.Count} {what}", sample.SampledAt, evidence);
    }
}

/// <summary>
/// Raises when a device boots <c>threshold</c> times within <c>window</c>: crash loops, power tampering or malware
/// that reboots to persist. Boot times come from the boot counter and uptime in the report.
/// </summary>
public sealed class RebootBurstDetector : Detector<RebootBurstDetector.State>
{
    private const string Signal = "reboot-burst";
    private readonly int _threshold;
    private readonly TimeSpan _window;

    public RebootBurstDetector(int threshold = 3, TimeSpan? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 2);
        _threshold = threshold;
        _window = window ?? TimeSpan.FromHours(1);
        if (_window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(window));
    }

    public sealed class State
    {
        internal readonly Queue<DateTimeOffset> Boots = new();
        internal bool InAlarm;
    }

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        if (sample.RebootsSincePrevious > 0)
        {
            var bootedAt = sample.SampledAt - TimeSpan.FromSeconds(sample.Report.UptimeSeconds);
            for (var i = 0; i < Math.Min(sample.RebootsSincePrevious, _threshold); i++) state.Boots.Enqueue(bootedAt);
        }
        while (state.Boots.Count > 0 && (state.Boots.Peek() <= sample.SampledAt - _window || state.Boots.Count > _threshold * 4))
            state.Boots.Dequeue();

        if (!state.InAlarm && state.Boots.Count >= _threshold)
        {
            state.InAlarm = true;
            sink.Raise(DetectionCauses.RebootBurst, Signal, DetectionSeverity.Medium,
                $"{state.Boots.Count} boots within {_window.TotalMinutes:F0} minutes", state.Boots.Peek(),
                new DetectionEvidence("boots", state.Boots.Count.ToString(CultureInfo.InvariantCulture)),
                new DetectionEvidence("boot_count", sample.Report.BootCount.ToString(CultureInfo.InvariantCulture)));
        }
        else if (state.InAlarm && state.Boots.Count < _threshold)
        {
            state.InAlarm = false;
            sink.Clear(DetectionCauses.RebootBurst, Signal);
        }
    }
}
