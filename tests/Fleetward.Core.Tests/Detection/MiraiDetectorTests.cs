using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class MiraiDetectorTests
{
    private static (string, int)[] TelnetPeers(int count, int start = 0, int port = 23) =>
        Enumerable.Range(start, count).Select(i => ($"198.51.{i / 250}.{i % 250 + 1}", port)).ToArray();

    [Fact]
    public void Telnet_fan_out_to_many_addresses_in_one_report_is_critical()
    {
        var detector = new TelnetScanDetector(fanOut: 10);
        var d = Assert.Single(Run(detector, detector.CreateState(), Sample(At(0).WithConnections(TelnetPeers(12)))).Detections);
        Assert.Equal(DetectionCauses.MiraiLike, d.Cause);
        Assert.Equal("telnet-scan", d.Signal);
        Assert.Equal(DetectionSeverity.Critical, d.Severity);
        Assert.Equal("12", d.Evidence[0].Value);
    }

    [Fact]
    public void Fan_out_accumulates_over_the_window_across_both_telnet_ports()
    {
        var detector = new TelnetScanDetector(fanOut: 10, window: TimeSpan.FromMinutes(5));
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0).WithConnections(TelnetPeers(5)))).Detections);
        Assert.Single(Run(detector, state, Sample(At(1).WithConnections(TelnetPeers(5, 5, port: 2323)))).Detections);
    }

    [Fact]
    public void Few_telnet_peers_or_other_ports_do_not_alarm_and_old_peers_expire()
    {
        var detector = new TelnetScanDetector(fanOut: 10, window: TimeSpan.FromMinutes(5));
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0).WithConnections(TelnetPeers(9)))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1).WithConnections(TelnetPeers(50, port: 443)))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(10).WithConnections(TelnetPeers(9, 9)))).Detections);
    }

    [Fact]
    public void Same_peers_repeated_are_one_peer_each()
    {
        var detector = new TelnetScanDetector(fanOut: 10);
        var state = detector.CreateState();
        for (var m = 0; m < 5; m++) Assert.Empty(Run(detector, state, Sample(At(m).WithConnections(TelnetPeers(3)))).Detections);
    }

    [Fact]
    public void Deleted_executable_raises_once_per_process_and_honours_ignored_prefixes()
    {
        var detector = new DeletedExecutableDetector(["/usr/lib/upgraded/"]);
        var state = detector.CreateState();
        var report = At(0) with
        {
            DeletedExecutables = [new() { Pid = 4242, Name = "dvrHelper", Path = "/tmp/.x/dvrHelper" }, new() { Pid = 10, Name = "svc", Path = "/usr/lib/upgraded/svc" }],
        };
        var d = Assert.Single(Run(detector, state, Sample(report)).Detections);
        Assert.Equal(DetectionCauses.MiraiLike, d.Cause);
        Assert.Equal("4242 dvrHelper /tmp/.x/dvrHelper", Assert.Single(d.Evidence).Value);
        Assert.Empty(Run(detector, state, Sample(report with { Sequence = 1 })).Detections);
    }

    [Fact]
    public void Listener_taken_over_by_another_process_is_critical()
    {
        var detector = new ListenerTakeoverDetector();
        var state = detector.CreateState();
        var telnetd = At(0) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 23, Pid = 300, ProcessName = "telnetd" }] };
        Assert.Empty(Run(detector, state, Sample(telnetd)).Detections);
        // The service is killed: the port goes quiet, the detector remembers its owner.
        Assert.Empty(Run(detector, state, Sample(At(1))).Detections);
        var taken = At(2) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 23, Pid = 4242, ProcessName = "x7f3" }] };
        var d = Assert.Single(Run(detector, state, Sample(taken)).Detections);
        Assert.Equal(DetectionSeverity.Critical, d.Severity);
        Assert.Equal("tcp/23 from telnetd to x7f3", d.Evidence.Single(e => e.Name == "taken_over").Value);
        Assert.Empty(Run(detector, state, Sample(taken with { Sequence = 3 })).Detections);
    }

    [Fact]
    public void A_restarted_service_keeps_its_port_quietly()
    {
        var detector = new ListenerTakeoverDetector();
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 1, ProcessName = "sshd" }] })).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 99, ProcessName = "sshd" }] })).Detections);
    }

    [Fact]
    public void Listener_held_by_a_deleted_executable_is_critical_even_on_a_new_port()
    {
        var detector = new ListenerTakeoverDetector();
        var report = At(0) with
        {
            Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 48101, Pid = 4242 }],
            DeletedExecutables = [new() { Pid = 4242, Name = "x", Path = "/tmp/x" }],
        };
        var state = detector.CreateState();
        var d = Assert.Single(Run(detector, state, Sample(report)).Detections);
        Assert.Equal("deleted_executable_listener", Assert.Single(d.Evidence).Name);
        Assert.Empty(Run(detector, state, Sample(report with { Sequence = 1 })).Detections);
    }
}
