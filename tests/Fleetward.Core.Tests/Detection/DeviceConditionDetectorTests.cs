using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class DeviceConditionDetectorTests
{
    [Fact]
    public void Tamper_switch_open_raises_once_and_closing_clears()
    {
        var detector = new TamperDetector();
        var state = detector.CreateState();
        TelemetryReport Tamper(int m, bool open) => At(m) with { Sensors = new() { TamperOpen = open } };
        Assert.Empty(Run(detector, state, Sample(Tamper(0, false))).Detections);
        var d = Assert.Single(Run(detector, state, Sample(Tamper(1, true))).Detections);
        Assert.Equal(DetectionCauses.Tamper, d.Cause);
        Assert.Equal(DetectionSeverity.High, d.Severity);
        Assert.Empty(Run(detector, state, Sample(Tamper(2, true))).Detections);
        Assert.Single(Run(detector, state, Sample(Tamper(3, false))).Clears);
        Assert.Empty(Run(detector, state, Sample(At(4))).Detections);
    }

    [Fact]
    public void Integrity_failures_raise_high_and_install_failures_low()
    {
        var detector = new AgentFailureDetector();
        var report = At(0) with
        {
            IntegrityFailures = [new() { Subject = "/usr/bin/fleetward-agent", Reason = "sha256 mismatch" }],
            InstallFailures = [new() { Subject = "release 1.2.3", Reason = "slot B write failed" }],
        };
        var sink = Run(detector, NoState.Instance, Sample(report));
        Assert.Collection(sink.Detections,
            d => { Assert.Equal(DetectionCauses.IntegrityFailure, d.Cause); Assert.Equal(DetectionSeverity.High, d.Severity); Assert.Equal("sha256 mismatch", d.Evidence[0].Value); },
            d => { Assert.Equal(DetectionCauses.InstallFailure, d.Cause); Assert.Equal(DetectionSeverity.Low, d.Severity); });
        Assert.Empty(Run(detector, NoState.Instance, Sample(At(1))).Detections);
    }

    [Fact]
    public void Reboot_burst_needs_threshold_boots_within_the_window()
    {
        var detector = new RebootBurstDetector(threshold: 3, window: TimeSpan.FromHours(1));
        var state = detector.CreateState();
        TelemetryReport Booted(int m) => At(m) with { UptimeSeconds = 60 };
        Assert.Empty(Run(detector, state, Sample(Booted(0), reboots: 1)).Detections);
        Assert.Empty(Run(detector, state, Sample(Booted(20), reboots: 1)).Detections);
        var d = Assert.Single(Run(detector, state, Sample(Booted(40), reboots: 1)).Detections);
        Assert.Equal(DetectionCauses.RebootBurst, d.Cause);
        Assert.Equal(T0.AddMinutes(-1), d.FirstAnomalousAt);
        // The first boot leaves the window an hour later: the burst is over.
        Assert.Single(Run(detector, state, Sample(At(61))).Clears);
    }

    [Fact]
    public void Spread_out_reboots_do_not_alarm()
    {
        var detector = new RebootBurstDetector(threshold: 3, window: TimeSpan.FromHours(1));
        var state = detector.CreateState();
        for (var m = 0; m < 600; m += 45)
            Assert.Empty(Run(detector, state, Sample(At(m) with { UptimeSeconds = 30 }, reboots: 1)).Detections);
    }

    [Fact]
    public void Several_boots_in_one_interval_count()
    {
        var detector = new RebootBurstDetector(threshold: 3);
        Assert.Single(Run(detector, detector.CreateState(), Sample(At(0) with { UptimeSeconds = 10 }, reboots: 4)).Detections);
    }
}
