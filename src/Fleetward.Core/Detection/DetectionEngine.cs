using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Detection;

/// <summary>Why a report was or was not scored.</summary>
public enum DetectionOutcomeStatus
{
    Scored,

    /// <summary>The sequence number is not above the last scored one: a retry, replay or reordering; nothing changed.</summary>
    StaleSequence,
}

/// <summary>What scoring one report found.</summary>
public sealed record DetectionOutcome(
    DetectionOutcomeStatus Status,
    IReadOnlyList<DetectionFinding> Detections,
    IReadOnlyList<DetectionClear> Clears)
{
    public static readonly DetectionOutcome Stale = new(DetectionOutcomeStatus.StaleSequence, [], []);
}

/// <summary>
/// The part of a device's detection state worth persisting: the learned baselines (slow to relearn) and the last
/// scored sequence (so a replay after a restart is still stale). Latches and short windows are not kept; after a
/// restart an ongoing anomaly is raised again and merges into its open incident.
/// </summary>
public sealed record DeviceDetectionSnapshot(
    string DeviceId,
    long LastSequence,
    DateTimeOffset LastSampledAt,
    IReadOnlyList<BaselineSnapshot> Baselines);

/// <summary>A model's population baselines as persisted.</summary>
public sealed record ModelBaselineSnapshot(string Model, IReadOnlyList<BaselineSnapshot> Baselines);

/// <summary>JSON for detection snapshots, for storage adapters that keep them as a document column.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(DeviceDetectionSnapshot))]
[JsonSerializable(typeof(ModelBaselineSnapshot))]
public sealed partial class DetectionSnapshotJsonContext : JsonSerializerContext;

/// <summary>
/// Runs every detector of a <see cref="DetectionPolicy"/> over each report, keeping per-device state in memory.
/// Thread-safe: reports of one device are scored one at a time, different devices in parallel. Never reads the
/// clock: the sample time comes from the report and the detection time is the <c>now</c> passed in.
/// </summary>
public sealed class DetectionEngine
{
    private readonly IDetector[] _detectors;
    private readonly int _deviceBaselineIndex;
    private readonly ModelBaselineDetector? _modelBaselines;
    private readonly ConcurrentDictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);

    public DetectionEngine(DetectionPolicy policy)
    {
        _detectors = policy.CreateDetectors().ToArray();
        _deviceBaselineIndex = Array.FindIndex(_detectors, d => d is DeviceBaselineDetector);
        _modelBaselines = _detectors.OfType<ModelBaselineDetector>().SingleOrDefault();
    }

    public int TrackedDevices => _devices.Count;

    /// <summary>Scores one validated report (see <see cref="TelemetryReportValidator"/>) of the device described by <paramref name="profile"/>.</summary>
    public DetectionOutcome Evaluate(TelemetryReport report, DeviceProfile profile, DateTimeOffset now)
    {
        if (!_devices.TryGetValue(report.DeviceId, out var state)) state = _devices.GetOrAdd(report.DeviceId, _ => NewState());
        lock (state)
        {
            if (state.LastSequence is { } last && report.Sequence <= last) return DetectionOutcome.Stale;
            var sample = new TelemetrySample(report, profile, GpsDrift(state, report), Reboots(state, report));
            var sink = new DetectionSink(sample, now);
            for (var i = 0; i < _detectors.Length; i++) _detectors[i].Inspect(sample, state.DetectorStates[i], sink);
            state.LastSequence = report.Sequence;
            state.LastSampledAt = report.SampledAt;
            state.LastFix = report.Sensors?.Gps;
            state.LastBootCount = report.BootCount;
            state.LastUptimeSeconds = report.UptimeSeconds;
            return new DetectionOutcome(DetectionOutcomeStatus.Scored, sink.Detections, sink.Clears);
        }
    }

    /// <summary>Null when the engine has not seen the device.</summary>
    public DeviceDetectionSnapshot? ExportDevice(string deviceId)
    {
        if (!_devices.TryGetValue(deviceId, out var state)) return null;
        lock (state)
        {
            if (state.LastSequence is not { } sequence) return null;
            var baselines = _deviceBaselineIndex < 0 ? []
                : ((DeviceBaselineDetector)_detectors[_deviceBaselineIndex]).Export((DeviceBaselineDetector.State)state.DetectorStates[_deviceBaselineIndex]);
            return new DeviceDetectionSnapshot(deviceId, sequence, state.LastSampledAt, baselines);
        }
    }

    /// <summary>Restores a device's persisted state, replacing whatever the engine held for it.</summary>
    public void ImportDevice(DeviceDetectionSnapshot snapshot)
    {
        var state = NewState();
        state.LastSequence = snapshot.LastSequence;
        state.LastSampledAt = snapshot.LastSampledAt;
        if (_deviceBaselineIndex >= 0)
        {
            ((DeviceBaselineDetector)_detectors[_deviceBaselineIndex]).Import(
                (DeviceBaselineDetector.State)state.DetectorStates[_deviceBaselineIndex], snapshot.Baselines);
        }
        _devices[snapshot.DeviceId] = state;
    }

    public IReadOnlyList<ModelBaselineSnapshot> ExportModels() =>
        _modelBaselines is null ? [] : _modelBaselines.Models.Select(m => new ModelBaselineSnapshot(m, _modelBaselines.Export(m))).ToArray();

    public void ImportModel(ModelBaselineSnapshot snapshot) => _modelBaselines?.Import(snapshot.Model, snapshot.Baselines);

    /// <summary>
    /// Drops everything learned about a device, keeping only its last sequence: after an operator accepts a new
    /// normal (or re-images the device) its baselines start over.
    /// </summary>
    public void ResetDevice(string deviceId)
    {
        if (!_devices.TryGetValue(deviceId, out var old)) return;
        var fresh = NewState();
        lock (old) fresh.LastSequence = old.LastSequence;
        _devices[deviceId] = fresh;
    }

    /// <summary>Forgets a decommissioned device entirely.</summary>
    public bool Forget(string deviceId) => _devices.TryRemove(deviceId, out _);

    private DeviceState NewState() => new(_detectors.Select(d => d.CreateState()).ToArray());

    private static double GpsDrift(DeviceState state, TelemetryReport report)
    {
        if (state.LastFix is not { } previous || report.Sensors?.Gps is not { } fix) return double.NaN;
        var seconds = (report.SampledAt - state.LastSampledAt).TotalSeconds;
        if (seconds <= 0) return double.NaN;
        var moved = GeoMath.DistanceMeters(new GeoPoint(previous.Latitude, previous.Longitude), new GeoPoint(fix.Latitude, fix.Longitude));
        // Movement within the two fixes' accuracy radii is indistinguishable from noise.
        return Math.Max(0, moved - previous.AccuracyMeters - fix.AccuracyMeters) / seconds;
    }

    private static int Reboots(DeviceState state, TelemetryReport report)
    {
        if (state.LastBootCount is not { } previous) return 0;
        var delta = report.BootCount - previous;
        if (delta > 0) return (int)Math.Min(delta, 1000);
        // A counter that did not move (or was reset by a reinstall) while uptime went backwards still means a boot.
        return report.UptimeSeconds < state.LastUptimeSeconds ? 1 : 0;
    }

    private sealed class DeviceState(object[] detectorStates)
    {
        public readonly object[] DetectorStates = detectorStates;
        public long? LastSequence;
        public DateTimeOffset LastSampledAt;
        public GpsFix? LastFix;
        public long? LastBootCount;
        public double LastUptimeSeconds;
    }
}
