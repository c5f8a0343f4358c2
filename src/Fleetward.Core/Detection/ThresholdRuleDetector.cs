using System.Globalization;

namespace Fleetward.Core.Detection;

/// <summary>How a rule compares its aggregate with its threshold (Device Defender comparison operators).</summary>
public enum ThresholdComparison
{
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

/// <summary>How a rule folds the datapoints inside its window into one value.</summary>
public enum WindowAggregation
{
    Last,
    Average,
    Sum,
    Maximum,
    Minimum,
}

/// <summary>
/// An operator's fixed rule, like a Device Defender behaviour: "<see cref="Metric"/> aggregated over the last
/// <see cref="Window"/> compared with <see cref="Value"/>", alarming after <see cref="DatapointsToAlarm"/>
/// consecutive breaches and clearing after <see cref="DatapointsToClear"/> normal datapoints.
/// A zero window compares each datapoint alone.
/// </summary>
public sealed record ThresholdRule
{
    public ThresholdRule(string name, TelemetryMetric metric, ThresholdComparison comparison, double value,
        DetectionSeverity severity, TimeSpan window = default, WindowAggregation aggregation = WindowAggregation.Last,
        int datapointsToAlarm = 1, int datapointsToClear = 1)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException("Rule name must be 1-64 characters of A-Z a-z 0-9 - _.", nameof(name));
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric));
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), "Threshold must be finite.");
        if (window < TimeSpan.Zero || window > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(window), "Window must be between zero and one day.");
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToAlarm, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToClear, 1);
        Name = name;
        Metric = metric;
        Comparison = comparison;
        Value = value;
        Severity = severity;
        Window = window;
        Aggregation = aggregation;
        DatapointsToAlarm = datapointsToAlarm;
        DatapointsToClear = datapointsToClear;
    }

    public string Name { get; }
    public TelemetryMetric Metric { get; }
    public ThresholdComparison Comparison { get; }
    public double Value { get; }
    public DetectionSeverity Severity { get; }
    public TimeSpan Window { get; }
    public WindowAggregation Aggregation { get; }
    public int DatapointsToAlarm { get; }
    public int DatapointsToClear { get; }

    public bool IsBreachedBy(double aggregate) => Comparison switch
    {
        ThresholdComparison.GreaterThan => aggregate > Value,
        ThresholdComparison.GreaterThanOrEqual => aggregate >= Value,
        ThresholdComparison.LessThan => aggregate < Value,
        ThresholdComparison.LessThanOrEqual => aggregate <= Value,
        _ => false,
    };
}

/// <summary>Evaluates one <see cref="ThresholdRule"/> per device over a time window of its datapoints.</summary>
public sealed class ThresholdRuleDetector : Detector<ThresholdRuleDetector.State>
{
    /// <summary>Bounds the window per device however often a device reports.</summary>
    public const int MaxWindowDatapoints = 1024;

    private readonly string _cause;

    public ThresholdRuleDetector(ThresholdRule rule)
    {
        Rule = rule;
        _cause = DetectionCauses.Rule(rule.Name);
    }

    public ThresholdRule Rule { get; }

    public sealed class State(ConsecutiveLatch latch)
    {
        internal readonly Queue<(DateTimeOffset At, double Value)> Window = new();
        internal readonly ConsecutiveLatch Latch = latch;
    }

    public override State CreateState() => new(new ConsecutiveLatch(Rule.DatapointsToAlarm, Rule.DatapointsToClear));

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        var value = sample.Value(Rule.Metric);
        if (double.IsNaN(value)) return;
        var aggregate = Aggregate(state.Window, sample.SampledAt, value);
        var cause = _cause;
        switch (state.Latch.Observe(Rule.IsBreachedBy(aggregate), sample.SampledAt))
        {
            case LatchTransition.Alarmed:
                var text = aggregate.ToString("G6", CultureInfo.InvariantCulture);
                sink.Raise(cause, "threshold", Rule.Severity,
                    $"{Rule.Metric.ToName()} {Describe(Rule.Aggregation)} {text} breached {Rule.Comparison} {Rule.Value.ToString(CultureInfo.InvariantCulture)} for {Rule.DatapointsToAlarm} datapoint(s)",
                    state.Latch.FirstBreachAt ?? sample.SampledAt,
                    new DetectionEvidence("metric", Rule.Metric.ToName()),
                    new DetectionEvidence("value", text),
                    new DetectionEvidence("threshold", Rule.Value.ToString(CultureInfo.InvariantCulture)));
                break;
            case LatchTransition.Cleared:
                sink.Clear(cause, "threshold");
                break;
        }
    }

    private double Aggregate(Queue<(DateTimeOffset At, double Value)> window, DateTimeOffset at, double value)
    {
        if (Rule.Window == TimeSpan.Zero) return value;
        window.Enqueue((at, value));
        while (window.Count > MaxWindowDatapoints || (window.Count > 0 && window.Peek().At <= at - Rule.Window))
            window.Dequeue();
        if (Rule.Aggregation == WindowAggregation.Last) return value;
        double sum = 0, max = double.MinValue, min = double.MaxValue;
        foreach (var (_, v) in window)
        {
            sum += v;
            max = Math.Max(max, v);
            min = Math.Min(min, v);
        }
        return Rule.Aggregation switch
        {
            WindowAggregation.Average => sum / window.Count,
            WindowAggregation.Sum => sum,
            WindowAggregation.Maximum => max,
            WindowAggregation.Minimum => min,
            _ => value,
        };
    }

    private static string Describe(WindowAggregation aggregation) => aggregation switch
    {
        WindowAggregation.Last => "value",
        _ => aggregation.ToString().ToLowerInvariant(),
    };
}
