using System.Text.Json;
using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class DetectionEngineTests
{
    private static DateTimeOffset Now(TelemetryReport r) => r.SampledAt.AddSeconds(1);

    internal static TelemetryReport MiraiReport(int minute, string deviceId = "dev-1") => At(minute, deviceId) with
    {
        TcpConnections = Enumerable.Range(1, 40).Select(i => new TcpConnection { RemoteAddress = $"203.0.{i}.{i * 3 % 250 + 1}", RemotePort = i % 2 == 0 ? 23 : 2323, State = TcpConnectionState.SynSent }).ToList(),
        Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 23, Pid = 4242, ProcessName = "qkx81" }],
        DeletedExecutables = [new() { Pid = 4242, Name = "qkx81", Path = "/var/run/qkx81" }],
    };

    [Fact]
    public void Mirai_like_report_yields_critical_detections_on_the_first_report()
    {
        var engine = new DetectionEngine(new DetectionPolicy());
        var clean = At(0) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 23, Pid = 300, ProcessName = "telnetd" }] };
        Assert.Empty(engine.Evaluate(clean, Rover, Now(clean)).Detections);
        var outcome = engine.Evaluate(MiraiReport(1), Rover, T0.AddMinutes(1).AddSeconds(3));
        Assert.Equal(DetectionOutcomeStatus.Scored, outcome.Status);
        Assert.Equal(["telnet-scan", "listener-takeover", "deleted-executable"], outcome.Detections.Select(d => d.Signal));
        Assert.All(outcome.Detections, d => Assert.Equal(DetectionCauses.MiraiLike, d.Cause));
        Assert.All(outcome.Detections, d => Assert.Equal(TimeSpan.FromSeconds(3), d.DetectedAt - d.FirstAnomalousAt));
    }

    [Fact]
    public void Repeated_or_older_sequence_is_stale_and_changes_nothing()
    {
        var engine = new DetectionEngine(new DetectionPolicy());
        engine.Evaluate(At(5), Rover, Now(At(5)));
        Assert.Equal(DetectionOutcomeStatus.StaleSequence, engine.Evaluate(MiraiReport(5), Rover, Now(At(5))).Status);
        Assert.Equal(DetectionOutcomeStatus.StaleSequence, engine.Evaluate(MiraiReport(4), Rover, Now(At(5))).Status);
        Assert.NotEmpty(engine.Evaluate(MiraiReport(6), Rover, Now(At(6))).Detections);
    }

    [Fact]
    public void Reboots_are_derived_from_the_boot_counter_and_uptime()
    {
        var engine = new DetectionEngine(new DetectionPolicy { RebootBurstThreshold = 2 });
        engine.Evaluate(At(0), Rover, Now(At(0)));
        Assert.Empty(engine.Evaluate(At(1) with { BootCount = 2, UptimeSeconds = 30 }, Rover, Now(At(1))).Detections);
        // The counter did not move but uptime went backwards: still a boot.
        var d = Assert.Single(engine.Evaluate(At(2) with { BootCount = 2, UptimeSeconds = 20 }, Rover, Now(At(2))).Detections);
        Assert.Equal(DetectionCauses.RebootBurst, d.Cause);
    }

    [Fact]
    public void Gps_drift_is_speed_beyond_the_fixes_accuracy()
    {
        var rule = new ThresholdRule("fast", TelemetryMetric.GpsDriftMetersPerSecond, ThresholdComparison.GreaterThan, 5, DetectionSeverity.High);
        var engine = new DetectionEngine(new DetectionPolicy { Rules = [rule], DeviceBaselines = [], ModelBaselines = [] });
        var oneKm = 1000 / 111_195.08;
        engine.Evaluate(At(0).WithGps(52.5, 13.4, accuracy: 5), Rover, Now(At(0)));
        // 1000 m in 60 s with 10 m of combined accuracy: 16.5 m/s.
        var d = Assert.Single(engine.Evaluate(At(1).WithGps(52.5 + oneKm, 13.4, accuracy: 5), Rover, Now(At(1))).Detections);
        Assert.Equal("16.5", d.Evidence.Single(e => e.Name == "value").Value);
        // Jitter within accuracy is zero drift.
        Assert.Single(engine.Evaluate(At(2).WithGps(52.5 + oneKm + 0.00005, 13.4, accuracy: 5), Rover, Now(At(2))).Clears);
    }

    [Fact]
    public void Allowlists_run_only_when_configured()
    {
        var report = At(0).WithConnections(("198.51.100.1", 443));
        Assert.Empty(new DetectionEngine(new DetectionPolicy()).Evaluate(report, Rover, Now(report)).Detections);
        var fenced = new DetectionEngine(new DetectionPolicy { Destinations = NetworkAllowlist.Parse(["10.0.0.0/8"]) });
        Assert.Equal(DetectionCauses.DestinationNotAllowed, Assert.Single(fenced.Evaluate(report, Rover, Now(report)).Detections).Cause);
    }

    [Fact]
    public void Snapshot_survives_json_and_restores_baselines_and_sequence()
    {
        var policy = new DetectionPolicy
        {
            DeviceBaselines = [new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 6, minimumDeviation: 5, window: 64, minDatapoints: 20, datapointsToAlarm: 1)],
            ModelBaselines = [],
        };
        var engine = new DetectionEngine(policy);
        for (var m = 0; m < 30; m++) engine.Evaluate(At(m).WithPower(20), Rover, Now(At(m)));
        var json = JsonSerializer.Serialize(engine.ExportDevice("dev-1"), DetectionSnapshotJsonContext.Default.DeviceDetectionSnapshot);
        Assert.Contains("\"metric\":\"PowerWatts\"", json);
        var snapshot = JsonSerializer.Deserialize(json, DetectionSnapshotJsonContext.Default.DeviceDetectionSnapshot)!;
        Assert.Equal(29, snapshot.LastSequence);

        var restarted = new DetectionEngine(policy);
        restarted.ImportDevice(snapshot);
        Assert.Equal(DetectionOutcomeStatus.StaleSequence, restarted.Evaluate(At(29).WithPower(90), Rover, Now(At(29))).Status);
        Assert.Single(restarted.Evaluate(At(30).WithPower(90), Rover, Now(At(30))).Detections);
    }

    [Fact]
    public void Reset_forgets_baselines_but_not_the_sequence()
    {
        var policy = new DetectionPolicy
        {
            DeviceBaselines = [new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 6, minimumDeviation: 5, window: 64, minDatapoints: 20, datapointsToAlarm: 1)],
            ModelBaselines = [],
        };
        var engine = new DetectionEngine(policy);
        for (var m = 0; m < 30; m++) engine.Evaluate(At(m).WithPower(20), Rover, Now(At(m)));
        engine.ResetDevice("dev-1");
        Assert.Equal(DetectionOutcomeStatus.StaleSequence, engine.Evaluate(At(29), Rover, Now(At(29))).Status);
        Assert.Empty(engine.Evaluate(At(30).WithPower(90), Rover, Now(At(30))).Detections);
        Assert.DoesNotContain(20f, engine.ExportDevice("dev-1")!.Baselines[0].Values);
    }

    [Fact]
    public void Model_snapshots_export_every_model_seen()
    {
        var engine = new DetectionEngine(new DetectionPolicy());
        engine.Evaluate(At(0).WithPower(10), Rover, Now(At(0)));
        engine.Evaluate(At(0, "dev-2").WithPower(10), new DeviceProfile("arm-7"), Now(At(0)));
        Assert.Equal(["arm-7", "rover-x"], engine.ExportModels().Select(m => m.Model));
        Assert.True(engine.Forget("dev-2"));
        Assert.Equal(1, engine.TrackedDevices);
    }
}

public sealed class DetectionEngineConcurrencyTests
{
    [Fact]
    public void Parallel_scoring_of_different_devices_matches_sequential_scoring()
    {
        var fleet = new SyntheticFleet(40, 5, Reports.T0);
        var reports = fleet.Devices.Select(d => Enumerable.Range(0, 120).Select(m =>
            m == 100 ? DetectionEngineTests.MiraiReport(m, d.Id) with { Sequence = 10_000 + m } : fleet.Report(d, m)).ToList()).ToList();

        string Run(bool parallel)
        {
            var engine = new DetectionEngine(new DetectionPolicy());
            var found = new System.Collections.Concurrent.ConcurrentBag<string>();
            void Device(int i)
            {
                foreach (var r in reports[i])
                    foreach (var d in engine.Evaluate(r, fleet.Profile(fleet.Devices[i]), r.SampledAt).Detections)
                        found.Add($"{d.DeviceId}/{d.Sequence}/{d.Signal}");
            }
            if (parallel) Parallel.For(0, reports.Count, Device);
            else for (var i = 0; i < reports.Count; i++) Device(i);
            return string.Join(",", found.Order(StringComparer.Ordinal));
        }

        var sequential = Run(parallel: false);
        Assert.Contains("sim-0000/10100/telnet-scan", sequential);
        Assert.Equal(sequential, Run(parallel: true));
    }

    [Fact]
    public void Metric_names_round_trip()
    {
        foreach (var metric in Enum.GetValues<TelemetryMetric>())
        {
            Assert.True(TelemetryMetricNames.TryParse(metric.ToName(), out var parsed));
            Assert.Equal(metric, parsed);
        }
        Assert.Equal("gps_drift_meters_per_second", TelemetryMetric.GpsDriftMetersPerSecond.ToName());
        Assert.False(TelemetryMetricNames.TryParse("nope", out _));
    }
}
