using Fleetward.Core.Detection;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class ConsecutiveLatchTests
{
    [Fact]
    public void Alarms_only_after_n_consecutive_breaches_and_remembers_the_first()
    {
        var latch = new ConsecutiveLatch(3, 2);
        Assert.Equal(LatchTransition.None, latch.Observe(true, T0));
        Assert.Equal(LatchTransition.None, latch.Observe(true, T0.AddMinutes(1)));
        Assert.Equal(LatchTransition.Alarmed, latch.Observe(true, T0.AddMinutes(2)));
        Assert.Equal(T0, latch.FirstBreachAt);
        Assert.Equal(LatchTransition.None, latch.Observe(true, T0.AddMinutes(3)));
    }

    [Fact]
    public void A_normal_datapoint_restarts_the_breaching_run()
    {
        var latch = new ConsecutiveLatch(2, 1);
        latch.Observe(true, T0);
        latch.Observe(false, T0.AddMinutes(1));
        Assert.Equal(LatchTransition.None, latch.Observe(true, T0.AddMinutes(2)));
        Assert.Equal(LatchTransition.Alarmed, latch.Observe(true, T0.AddMinutes(3)));
        Assert.Equal(T0.AddMinutes(2), latch.FirstBreachAt);
    }

    [Fact]
    public void Clears_after_m_consecutive_normal_datapoints()
    {
        var latch = new ConsecutiveLatch(1, 2);
        latch.Observe(true, T0);
        Assert.Equal(LatchTransition.None, latch.Observe(false, T0.AddMinutes(1)));
        Assert.Equal(LatchTransition.None, latch.Observe(true, T0.AddMinutes(2)));
        Assert.Equal(LatchTransition.None, latch.Observe(false, T0.AddMinutes(3)));
        Assert.Equal(LatchTransition.Cleared, latch.Observe(false, T0.AddMinutes(4)));
        Assert.False(latch.InAlarm);
    }
}

public sealed class ThresholdRuleDetectorTests
{
    [Fact]
    public void Single_datapoint_rule_alarms_once_and_clears()
    {
        var detector = new ThresholdRuleDetector(new ThresholdRule("cpu-high", TelemetryMetric.CpuPercent, ThresholdComparison.GreaterThan, 90, DetectionSeverity.Low));
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0) with { CpuPercent = 50 })).Detections);
        var d = Assert.Single(Run(detector, state, Sample(At(1) with { CpuPercent = 95 })).Detections);
        Assert.Equal("rule.cpu-high", d.Cause);
        Assert.Equal(DetectionSeverity.Low, d.Severity);
        Assert.Empty(Run(detector, state, Sample(At(2) with { CpuPercent = 96 })).Detections);
        Assert.Single(Run(detector, state, Sample(At(3) with { CpuPercent = 10 })).Clears);
    }

    [Fact]
    public void Window_sum_compares_the_total_over_the_window()
    {
        var rule = new ThresholdRule("egress", TelemetryMetric.BytesOutPerSecond, ThresholdComparison.GreaterThanOrEqual, 3000,
            DetectionSeverity.Medium, window: TimeSpan.FromMinutes(3), aggregation: WindowAggregation.Sum);
        var detector = new ThresholdRuleDetector(rule);
        var state = detector.CreateState();
        // 1000 B/s each minute: the 3-minute window reaches 3000 at the third datapoint and not before.
        Assert.Empty(Run(detector, state, Sample(At(0))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1))).Detections);
        var d = Assert.Single(Run(detector, state, Sample(At(2))).Detections);
        Assert.Equal(T0.AddMinutes(2), d.FirstAnomalousAt);
    }

    [Fact]
    public void Window_drops_datapoints_older_than_the_window()
    {
        var rule = new ThresholdRule("egress", TelemetryMetric.BytesOutPerSecond, ThresholdComparison.GreaterThan, 2500,
            DetectionSeverity.Medium, window: TimeSpan.FromMinutes(2), aggregation: WindowAggregation.Sum);
        var detector = new ThresholdRuleDetector(rule);
        var state = detector.CreateState();
        for (var m = 0; m < 10; m++) Assert.Empty(Run(detector, state, Sample(At(m))).Detections);
    }

    [Fact]
    public void Consecutive_datapoints_to_alarm_delay_the_alarm_and_date_the_anomaly_to_its_start()
    {
        var rule = new ThresholdRule("procs", TelemetryMetric.ProcessCount, ThresholdComparison.GreaterThan, 100,
            DetectionSeverity.Medium, datapointsToAlarm: 3, datapointsToClear: 2);
        var detector = new ThresholdRuleDetector(rule);
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0) with { ProcessCount = 200 })).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1) with { ProcessCount = 200 })).Detections);
        var sink = Run(detector, state, Sample(At(2) with { ProcessCount = 200 }));
        var d = Assert.Single(sink.Detections);
        Assert.Equal(T0, d.FirstAnomalousAt);
        Assert.Equal(T0.AddMinutes(2).AddSeconds(2), d.DetectedAt);
    }

    [Fact]
    public void Missing_metric_is_not_a_datapoint()
    {
        var detector = new ThresholdRuleDetector(new ThresholdRule("low-power", TelemetryMetric.PowerWatts, ThresholdComparison.LessThan, 1, DetectionSeverity.High));
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0))).Detections);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public void Rule_names_are_checked(string name)
    {
        Assert.Throws<ArgumentException>(() => new ThresholdRule(name, TelemetryMetric.CpuPercent, ThresholdComparison.GreaterThan, 1, DetectionSeverity.Low));
    }

    [Fact]
    public void Duplicate_rule_names_are_refused_by_the_policy()
    {
        var rule = new ThresholdRule("r", TelemetryMetric.CpuPercent, ThresholdComparison.GreaterThan, 1, DetectionSeverity.Low);
        Assert.Throws<ArgumentException>(() => new DetectionPolicy { Rules = [rule, rule] }.CreateDetectors());
    }
}
