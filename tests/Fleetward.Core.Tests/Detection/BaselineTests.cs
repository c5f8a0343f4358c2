using Fleetward.Core.Detection;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class RobustBaselineTests
{
    private static readonly DateTimeOffset T0 = Reports.T0;

    private static BaselineSpec Spec(BaselineDirection direction = BaselineDirection.Above, int min = 10, double minDev = 0, double rel = 0) =>
        new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 5, minimumDeviation: minDev, minimumRelativeDeviation: rel,
            direction: direction, window: 16, minDatapoints: min, recomputeEvery: 4);

    [Fact]
    public void Judges_nothing_before_the_minimum_datapoints()
    {
        var b = new RobustBaseline(Spec());
        for (var i = 0; i < 9; i++) b.Learn(10, T0);
        Assert.False(b.IsReady);
        Assert.False(b.IsAnomalous(1e6));
        b.Learn(10, T0);
        Assert.True(b.IsAnomalous(1e6));
    }

    [Fact]
    public void Fences_are_quantiles_and_the_margin_is_robust_sigmas()
    {
        var spec = new BaselineSpec(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 1, minimumDeviation: 0,
            direction: BaselineDirection.Both, window: 32, minDatapoints: 20, fenceQuantile: 0.9);
        var b = new RobustBaseline(spec);
        for (var i = 1; i <= 19; i++) b.Learn(i, T0);
        b.Learn(1000, T0);
        // Sorted 1..19, 1000: median 10.5, 90 % fence at index 18 (19), 10 % fence at index 1 (2); MAD 5.
        Assert.Equal(10.5, b.Median);
        Assert.Equal(19, b.UpperFence);
        Assert.Equal(2, b.LowerFence);
        Assert.Equal(5, b.Mad);
        // Margin 1 × 1.4826 × 5 = 7.413: the single spike did not move the fence.
        Assert.False(b.IsAnomalous(26.4));
        Assert.True(b.IsAnomalous(26.5));
        Assert.False(b.IsAnomalous(-5.4));
        Assert.True(b.IsAnomalous(-5.5));
    }

    [Fact]
    public void A_learned_day_keeps_both_daily_regimes_normal()
    {
        var spec = new BaselineSpec(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 6, minimumDeviation: 5,
            minimumRelativeDeviation: 0.25, learnInterval: TimeSpan.FromMinutes(5));
        var b = new RobustBaseline(spec);
        // One day of one-minute datapoints: idle 15 W at night (00-06), 40 W busy by day.
        for (var m = 0; m < 1440; m++) b.Learn(m < 360 ? 15 + m % 2 : 40 + m % 3, T0.AddMinutes(m));
        Assert.Equal(288, b.Count);
        Assert.False(b.IsAnomalous(15));
        Assert.False(b.IsAnomalous(42));
        Assert.True(b.IsAnomalous(70));
    }

    [Fact]
    public void Learn_interval_subsamples_by_sample_time()
    {
        var b = new RobustBaseline(Spec() with { });
        var spaced = new RobustBaseline(new BaselineSpec(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 5, minimumDeviation: 0,
            window: 16, minDatapoints: 10, learnInterval: TimeSpan.FromMinutes(5)));
        for (var m = 0; m < 20; m++)
        {
            b.Learn(m, T0.AddMinutes(m));
            spaced.Learn(m, T0.AddMinutes(m));
        }
        Assert.Equal(16, b.Count);
        Assert.Equal([0f, 5f, 10f, 15f], spaced.Export().Values);
    }

    [Fact]
    public void Minimum_deviations_guard_a_constant_signal()
    {
        var b = new RobustBaseline(Spec(minDev: 2, rel: 0.5));
        for (var i = 0; i < 10; i++) b.Learn(10, T0);
        Assert.Equal(0, b.Mad);
        Assert.False(b.IsAnomalous(14.9));
        Assert.True(b.IsAnomalous(15.1));
    }

    [Theory]
    [InlineData(BaselineDirection.Above, 30, true)]
    [InlineData(BaselineDirection.Above, -10, false)]
    [InlineData(BaselineDirection.Below, -10, true)]
    [InlineData(BaselineDirection.Below, 30, false)]
    [InlineData(BaselineDirection.Both, -10, true)]
    [InlineData(BaselineDirection.Both, 30, true)]
    public void Direction_decides_which_side_alarms(BaselineDirection direction, double value, bool anomalous)
    {
        var b = new RobustBaseline(Spec(direction, minDev: 5));
        for (var i = 0; i < 10; i++) b.Learn(10, T0);
        Assert.Equal(anomalous, b.IsAnomalous(value));
    }

    [Fact]
    public void Window_bounds_memory_and_forgets_old_datapoints()
    {
        var b = new RobustBaseline(Spec());
        for (var i = 0; i < 16; i++) b.Learn(100, T0);
        for (var i = 0; i < 16; i++) b.Learn(10, T0);
        Assert.Equal(16, b.Count);
        Assert.Equal(10, b.Median);
        Assert.Equal(16, b.Export().Values.Length);
    }

    [Fact]
    public void Snapshot_round_trips_in_order()
    {
        var b = new RobustBaseline(Spec());
        // 22 datapoints: the cached median/MAD were last recomputed at the 22nd (every 4 after the 10 to learn).
        for (var i = 0; i < 22; i++) b.Learn(i, T0);
        var snapshot = b.Export();
        Assert.Equal(Enumerable.Range(6, 16).Select(i => (float)i), snapshot.Values);
        var restored = new RobustBaseline(Spec());
        restored.Import(snapshot);
        Assert.Equal(b.Median, restored.Median);
        Assert.Equal(b.Mad, restored.Mad);
        Assert.Equal(b.UpperFence, restored.UpperFence);
        Assert.Equal(snapshot.Values, restored.Export().Values);
    }

    [Fact]
    public void Snapshot_of_another_metric_is_refused()
    {
        var b = new RobustBaseline(Spec());
        Assert.Throws<ArgumentException>(() => b.Import(new BaselineSnapshot(TelemetryMetric.CpuPercent, [1f])));
    }
}

public sealed class BaselineDetectorTests
{
    private static readonly BaselineSpec Power = new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 6,
        minimumDeviation: 5, window: 64, minDatapoints: 20, datapointsToAlarm: 3, datapointsToClear: 2);

    [Fact]
    public void Device_baseline_alarms_after_consecutive_departures_and_does_not_learn_them()
    {
        var detector = new DeviceBaselineDetector([Power]);
        var state = detector.CreateState();
        var m = 0;
        for (; m < 30; m++) Assert.Empty(Run(detector, state, Sample(At(m).WithPower(20 + m % 3))).Detections);

        Assert.Empty(Run(detector, state, Sample(At(m++).WithPower(60))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(m++).WithPower(60))).Detections);
        var d = Assert.Single(Run(detector, state, Sample(At(m++).WithPower(60))).Detections);
        Assert.Equal("anomaly.power_watts", d.Cause);
        Assert.Equal("device-baseline", d.Signal);
        Assert.Equal(T0.AddMinutes(30), d.FirstAnomalousAt);
        Assert.Contains(d.Evidence, e => e.Name == "baseline_median" && e.Value == "21");

        // The anomaly stays anomalous: it was not learned.
        for (var i = 0; i < 30; i++) Assert.Empty(Run(detector, state, Sample(At(m++).WithPower(60))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(m++).WithPower(21))).Clears);
        Assert.Single(Run(detector, state, Sample(At(m++).WithPower(21))).Clears);
    }

    [Fact]
    public void Device_baseline_snapshot_restores_the_learned_baseline()
    {
        var detector = new DeviceBaselineDetector([Power]);
        var state = detector.CreateState();
        for (var m = 0; m < 30; m++) Run(detector, state, Sample(At(m).WithPower(20)));
        var restored = detector.CreateState();
        detector.Import(restored, detector.Export(state));
        for (var m = 30; m < 32; m++) Assert.Empty(Run(detector, restored, Sample(At(m).WithPower(60))).Detections);
        Assert.Single(Run(detector, restored, Sample(At(32).WithPower(60))).Detections);
    }

    [Fact]
    public void Model_baseline_flags_a_device_unlike_its_siblings_from_its_first_reports()
    {
        var detector = new ModelBaselineDetector([Power]);
        var siblings = Enumerable.Range(0, 5).Select(_ => detector.CreateState()).ToArray();
        for (var m = 0; m < 10; m++)
        {
            for (var s = 0; s < siblings.Length; s++)
                Assert.Empty(Run(detector, siblings[s], Sample(At(m, $"dev-{s}").WithPower(20 + s))).Detections);
        }
        var odd = detector.CreateState();
        Assert.Empty(Run(detector, odd, Sample(At(10, "odd").WithPower(80))).Detections);
        Assert.Empty(Run(detector, odd, Sample(At(11, "odd").WithPower(80))).Detections);
        var d = Assert.Single(Run(detector, odd, Sample(At(12, "odd").WithPower(80))).Detections);
        Assert.Equal("model-baseline", d.Signal);

        // Another model has its own population.
        Assert.Empty(detector.Export("other-model"));
        Assert.Single(detector.Models);
    }

    [Fact]
    public void One_baseline_per_metric()
    {
        Assert.Throws<ArgumentException>(() => new DeviceBaselineDetector([Power, Power]));
    }
}
