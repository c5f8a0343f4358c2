using System.Collections.Concurrent;
using System.Globalization;

namespace Fleetward.Core.Detection;

/// <summary>
/// Learns each device's own normal for a few metrics (power draw, throughput, CPU, GPS drift) and raises when one
/// departs from it for several consecutive datapoints. Catches what no fixed threshold fits across a varied fleet:
/// a robot that usually draws 20 W drawing 60 W.
/// </summary>
public sealed class DeviceBaselineDetector : Detector<DeviceBaselineDetector.State>
{
    private const string Signal = "device-baseline";

    public DeviceBaselineDetector(IReadOnlyList<BaselineSpec> specs)
    {
        if (specs.Select(s => s.Metric).Distinct().Count() != specs.Count)
            throw new ArgumentException("Each metric may have only one device baseline.", nameof(specs));
        Specs = specs;
    }

    public IReadOnlyList<BaselineSpec> Specs { get; }

    public sealed class State
    {
        internal State(IReadOnlyList<BaselineSpec> specs)
        {
            Baselines = specs.Select(s => new RobustBaseline(s)).ToArray();
            Latches = specs.Select(s => new ConsecutiveLatch(s.DatapointsToAlarm, s.DatapointsToClear)).ToArray();
        }

        internal RobustBaseline[] Baselines { get; }
        internal ConsecutiveLatch[] Latches { get; }
    }

    public override State CreateState() => new(Specs);

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        for (var i = 0; i < Specs.Count; i++)
            BaselineJudgement.Judge(Specs[i], state.Baselines[i], state.Latches[i], sample, sink, Signal, "device");
    }

    /// <summary>What to persist so a restart does not relearn: one snapshot per baselined metric.</summary>
    public IReadOnlyList<BaselineSnapshot> Export(State state) => state.Baselines.Select(b => b.Export()).ToArray();

    public void Import(State state, IEnumerable<BaselineSnapshot> snapshots)
    {
        foreach (var snapshot in snapshots)
        {
            var index = Specs.ToList().FindIndex(s => s.Metric == snapshot.Metric);
            if (index >= 0) state.Baselines[index].Import(snapshot);
        }
    }
}

/// <summary>
/// Learns what all devices of one model do and raises when a device stands out from its siblings, which catches
/// a device that was abnormal from its first report (a per-device baseline would learn the abnormal as normal).
/// The population baseline is shared by every device of the model and guarded by a lock.
/// </summary>
public sealed class ModelBaselineDetector : Detector<ModelBaselineDetector.State>
{
    private const string Signal = "model-baseline";
    private readonly ConcurrentDictionary<string, ModelBaselines> _models = new(StringComparer.Ordinal);

    public ModelBaselineDetector(IReadOnlyList<BaselineSpec> specs)
    {
        if (specs.Select(s => s.Metric).Distinct().Count() != specs.Count)
            throw new ArgumentException("Each metric may have only one model baseline.", nameof(specs));
        Specs = specs;
    }

    public IReadOnlyList<BaselineSpec> Specs { get; }

    public sealed class State
    {
        internal State(IReadOnlyList<BaselineSpec> specs) =>
            Latches = specs.Select(s => new ConsecutiveLatch(s.DatapointsToAlarm, s.DatapointsToClear)).ToArray();

        internal ConsecutiveLatch[] Latches { get; }
    }

    private sealed class ModelBaselines(IReadOnlyList<BaselineSpec> specs)
    {
        public readonly RobustBaseline[] Baselines = specs.Select(s => new RobustBaseline(s)).ToArray();
    }

    public override State CreateState() => new(Specs);

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        if (!_models.TryGetValue(sample.Model, out var model)) model = _models.GetOrAdd(sample.Model, _ => new ModelBaselines(Specs));
        lock (model)
        {
            for (var i = 0; i < Specs.Count; i++)
                BaselineJudgement.Judge(Specs[i], model.Baselines[i], state.Latches[i], sample, sink, Signal, $"model {sample.Model}");
        }
    }

    public IReadOnlyList<string> Models => _models.Keys.Order(StringComparer.Ordinal).ToArray();

    public IReadOnlyList<BaselineSnapshot> Export(string model)
    {
        if (!_models.TryGetValue(model, out var baselines)) return [];
        lock (baselines) return baselines.Baselines.Select(b => b.Export()).ToArray();
    }

    public void Import(string model, IEnumerable<BaselineSnapshot> snapshots)
    {
        var baselines = _models.GetOrAdd(model, _ => new ModelBaselines(Specs));
        lock (baselines)
        {
            foreach (var snapshot in snapshots)
            {
                var index = Specs.ToList().FindIndex(s => s.Metric == snapshot.Metric);
                if (index >= 0) baselines.Baselines[index].Import(snapshot);
            }
        }
    }
}

internal static class BaselineJudgement
{
    private static readonly string[] CauseOf = Enum.GetValues<TelemetryMetric>().Select(DetectionCauses.Anomaly).ToArray();

    public static void Judge(BaselineSpec spec, RobustBaseline baseline, ConsecutiveLatch latch,
        TelemetrySample sample, DetectionSink sink, string signal, string scope)
    {
        var value = sample.Value(spec.Metric);
        if (double.IsNaN(value)) return;
        var anomalous = baseline.IsAnomalous(value);
        var cause = CauseOf[(int)spec.Metric];
        switch (latch.Observe(anomalous, sample.SampledAt))
        {
            case LatchTransition.Alarmed:
                sink.Raise(cause, signal, spec.Severity,
                    $"{spec.Metric.ToName()} {Format(value)} is outside the {scope} baseline [{Format(baseline.LowerFence)}, {Format(baseline.UpperFence)}] by more than {Format(baseline.Tolerance)} for {spec.DatapointsToAlarm} datapoint(s)",
                    latch.FirstBreachAt ?? sample.SampledAt,
                    new DetectionEvidence("metric", spec.Metric.ToName()),
                    new DetectionEvidence("value", Format(value)),
                    new DetectionEvidence("baseline_median", Format(baseline.Median)),
                    new DetectionEvidence("baseline_lower_fence", Format(baseline.LowerFence)),
                    new DetectionEvidence("baseline_upper_fence", Format(baseline.UpperFence)),
                    new DetectionEvidence("baseline_mad", Format(baseline.Mad)),
                    new DetectionEvidence("baseline_datapoints", baseline.Count.ToString(CultureInfo.InvariantCulture)));
                break;
            case LatchTransition.Cleared:
                sink.Clear(cause, signal);
                break;
        }
        if (!anomalous) baseline.Learn(value, sample.SampledAt);
    }

    private static string Format(double value) => value.ToString("G5", CultureInfo.InvariantCulture);
}
