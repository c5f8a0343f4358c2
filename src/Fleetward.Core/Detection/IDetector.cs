namespace Fleetward.Core.Detection;

/// <summary>
/// One check over a device's reports. The detector itself is configuration and is shared by all devices; what it
/// remembers about one device lives in a state object the engine keeps per device, so the check stays a pure
/// function of (sample, state) and is tested without the engine.
/// </summary>
public interface IDetector
{
    object CreateState();
    void Inspect(TelemetrySample sample, object state, DetectionSink sink);
}

/// <summary>Typed base for <see cref="IDetector"/>: the engine holds states as objects, detectors see their own type.</summary>
public abstract class Detector<TState> : IDetector where TState : class
{
    public abstract TState CreateState();
    public abstract void Inspect(TelemetrySample sample, TState state, DetectionSink sink);

    object IDetector.CreateState() => CreateState();
    void IDetector.Inspect(TelemetrySample sample, object state, DetectionSink sink) => Inspect(sample, (TState)state, sink);
}

/// <summary>State of detectors that remember nothing between reports.</summary>
public sealed class NoState
{
    public static readonly NoState Instance = new();
    private NoState() { }
}

/// <summary>Collects what detectors found on one report, stamping device, sequence and detection time.</summary>
public sealed class DetectionSink
{
    private readonly List<DetectionFinding> _detections = [];
    private readonly List<DetectionClear> _clears = [];
    private readonly TelemetrySample _sample;

    public DetectionSink(TelemetrySample sample, DateTimeOffset now)
    {
        _sample = sample;
        Now = now;
    }

    /// <summary>When the server scored the report: the detection time for MTTD.</summary>
    public DateTimeOffset Now { get; }

    public IReadOnlyList<DetectionFinding> Detections => _detections;
    public IReadOnlyList<DetectionClear> Clears => _clears;

    public void Raise(string cause, string signal, DetectionSeverity severity, string summary,
        DateTimeOffset firstAnomalousAt, params DetectionEvidence[] evidence) =>
        _detections.Add(new DetectionFinding(_sample.DeviceId, cause, signal, severity, summary,
            firstAnomalousAt, Now, _sample.Sequence, evidence));

    public void Clear(string cause, string signal) =>
        _clears.Add(new DetectionClear(_sample.DeviceId, cause, signal, _sample.SampledAt, _sample.Sequence));
}
