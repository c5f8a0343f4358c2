using System.Buffers;

namespace Fleetward.Core.Detection;

/// <summary>Which side of the baseline counts as anomalous.</summary>
public enum BaselineDirection
{
    Above,
    Below,
    Both,
}

/// <summary>
/// How one metric is baselined. A datapoint is anomalous when it lies beyond the baseline's high (or low) quantile
/// by a margin that is at once statistical (<see cref="Threshold"/> robust standard deviations, 1.4826 × MAD) and
/// practical (<see cref="MinimumDeviation"/> in the metric's unit, <see cref="MinimumRelativeDeviation"/> of the
/// median). The quantile fence keeps daily regimes (idle at night, busy by day) normal once a day is learned; the
/// margin keeps a nearly constant signal (MAD ≈ 0) from alarming on every wobble.
/// </summary>
public sealed record BaselineSpec
{
    public BaselineSpec(TelemetryMetric metric, DetectionSeverity severity, double threshold, double minimumDeviation,
        double minimumRelativeDeviation = 0, BaselineDirection direction = BaselineDirection.Above,
        int window = 288, int minDatapoints = 288, int datapointsToAlarm = 3, int datapointsToClear = 3, int recomputeEvery = 16,
        TimeSpan learnInterval = default, double fenceQuantile = 0.99)
    {
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric));
        if (!(threshold > 0)) throw new ArgumentOutOfRangeException(nameof(threshold), "Threshold must be positive.");
        if (!(minimumDeviation >= 0)) throw new ArgumentOutOfRangeException(nameof(minimumDeviation));
        if (!(minimumRelativeDeviation >= 0)) throw new ArgumentOutOfRangeException(nameof(minimumRelativeDeviation));
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, 65_536);
        ArgumentOutOfRangeException.ThrowIfLessThan(minDatapoints, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minDatapoints, window);
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToAlarm, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToClear, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(recomputeEvery, 1);
        if (learnInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(learnInterval));
        if (!(fenceQuantile >= 0.5 && fenceQuantile <= 1)) throw new ArgumentOutOfRangeException(nameof(fenceQuantile), "Quantile must be between 0.5 and 1.");
        Metric = metric;
        Severity = severity;
        Threshold = threshold;
        MinimumDeviation = minimumDeviation;
        MinimumRelativeDeviation = minimumRelativeDeviation;
        Direction = direction;
        Window = window;
        MinDatapoints = minDatapoints;
        DatapointsToAlarm = datapointsToAlarm;
        DatapointsToClear = datapointsToClear;
        RecomputeEvery = recomputeEvery;
        LearnInterval = learnInterval;
        FenceQuantile = fenceQuantile;
    }

    public TelemetryMetric Metric { get; }
    public DetectionSeverity Severity { get; }
    public double Threshold { get; }
    public double MinimumDeviation { get; }
    public double MinimumRelativeDeviation { get; }
    public BaselineDirection Direction { get; }

    /// <summary>Datapoints remembered (a ring): bounds memory per device and metric to 4 bytes × Window.</summary>
    public int Window { get; }

    /// <summary>
    /// Datapoints learned before the baseline judges anything. The default is the whole window (a day at the
    /// default spacing): judging a busy morning against a night-only history is the classic false positive.
    /// </summary>
    public int MinDatapoints { get; }

    public int DatapointsToAlarm { get; }
    public int DatapointsToClear { get; }

    /// <summary>Median and MAD are recomputed after this many new datapoints (amortises the sort).</summary>
    public int RecomputeEvery { get; }

    /// <summary>
    /// Learn at most one datapoint per this much sample time, so <see cref="Window"/> slots span a whole day
    /// (288 × 5 min) whatever the report rate. Zero learns every datapoint.
    /// </summary>
    public TimeSpan LearnInterval { get; }

    /// <summary>The fences are this quantile (upper) and its mirror (lower) of the remembered datapoints.</summary>
    public double FenceQuantile { get; }
}

/// <summary>The learned part of a baseline as stored: the remembered datapoints, oldest first.</summary>
public sealed record BaselineSnapshot(TelemetryMetric Metric, float[] Values);

/// <summary>
/// A robust picture of recent datapoints from a bounded ring of values: the median and median absolute deviation
/// (which, unlike mean and standard deviation, a few spikes cannot drag) and high/low quantile fences. Anomalous
/// datapoints are not learned, so an anomaly cannot make itself normal; a slow ramp can still move the fences a
/// margin at a time, which the per-model baseline backstops.
/// </summary>
public sealed class RobustBaseline
{
    /// <summary>Scales MAD to the standard deviation of a normal distribution.</summary>
    public const double MadToSigma = 1.4826;

    private readonly BaselineSpec _spec;
    private readonly float[] _ring;
    private int _next;
    private int _count;
    private int _sinceRecompute;
    private DateTimeOffset _nextLearnAt = DateTimeOffset.MinValue;
    private bool _computedWhenReady;

    public RobustBaseline(BaselineSpec spec)
    {
        _spec = spec;
        _ring = new float[spec.Window];
    }

    public int Count => _count;
    public bool IsReady => _count >= _spec.MinDatapoints;
    public double Median { get; private set; }
    public double Mad { get; private set; }
    public double UpperFence { get; private set; }
    public double LowerFence { get; private set; }

    /// <summary>How far beyond a fence a datapoint must lie to be anomalous.</summary>
    public double Tolerance => Math.Max(_spec.Threshold * MadToSigma * Mad,
        Math.Max(_spec.MinimumDeviation, _spec.MinimumRelativeDeviation * Math.Abs(Median)));

    /// <summary>True when the baseline is learned and <paramref name="value"/> lies beyond its tolerance in the watched direction.</summary>
    public bool IsAnomalous(double value)
    {
        if (!IsReady) return false;
        var tolerance = Tolerance;
        var above = value > UpperFence + tolerance;
        var below = value < LowerFence - tolerance;
        return _spec.Direction switch
        {
            BaselineDirection.Above => above,
            BaselineDirection.Below => below,
            _ => above || below,
        };
    }

    /// <summary>Remembers a normal datapoint sampled at <paramref name="sampledAt"/> (subject to the learn interval).</summary>
    public void Learn(double value, DateTimeOffset sampledAt)
    {
        if (sampledAt < _nextLearnAt) return;
        _nextLearnAt = sampledAt + _spec.LearnInterval;
        _ring[_next] = (float)value;
        _next = (_next + 1) % _ring.Length;
        if (_count < _ring.Length) _count++;
        _sinceRecompute++;
        // Nothing is judged before the minimum, so compute first when it is reached, then every N datapoints.
        if (_count < _spec.MinDatapoints) return;
        if (!_computedWhenReady || _sinceRecompute >= _spec.RecomputeEvery) Recompute();
    }

    public BaselineSnapshot Export()
    {
        var values = new float[_count];
        var start = _count < _ring.Length ? 0 : _next;
        for (var i = 0; i < _count; i++) values[i] = _ring[(start + i) % _ring.Length];
        return new BaselineSnapshot(_spec.Metric, values);
    }

    /// <summary>Restores learned datapoints; keeps the newest ones if the snapshot is larger than the window.</summary>
    public void Import(BaselineSnapshot snapshot)
    {
        if (snapshot.Metric != _spec.Metric)
            throw new ArgumentException($"Snapshot is for {snapshot.Metric}, baseline is for {_spec.Metric}.", nameof(snapshot));
        _next = 0;
        _count = 0;
        foreach (var v in snapshot.Values.AsSpan(Math.Max(0, snapshot.Values.Length - _ring.Length)))
        {
            if (!float.IsFinite(v)) throw new ArgumentException("Snapshot holds a non-finite value.", nameof(snapshot));
            _ring[_next] = v;
            _next = (_next + 1) % _ring.Length;
            _count++;
        }
        Recompute();
    }

    private void Recompute()
    {
        _sinceRecompute = 0;
        _computedWhenReady = IsReady;
        if (_count == 0) return;
        // The sort buffer is pooled, not kept per baseline: memory per device stays 4 bytes × Window per metric.
        var rented = ArrayPool<float>.Shared.Rent(_count);
        try
        {
            Compute(rented.AsSpan(0, _count));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private void Compute(Span<float> values)
    {
        _ring.AsSpan(0, _count).CopyTo(values);
        values.Sort();
        var median = MedianOfSorted(values);
        Median = median;
        UpperFence = values[(int)Math.Ceiling(_spec.FenceQuantile * (values.Length - 1))];
        LowerFence = values[(int)Math.Floor((1 - _spec.FenceQuantile) * (values.Length - 1))];
        for (var i = 0; i < values.Length; i++) values[i] = Math.Abs(values[i] - (float)median);
        values.Sort();
        Mad = MedianOfSorted(values);
    }

    private static double MedianOfSorted(ReadOnlySpan<float> sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + (double)sorted[sorted.Length / 2]) / 2;
}
