using System.Net;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Telemetry;
using Fleetward.Agent.Tests.Slots;
using Fleetward.Core.Telemetry;
using AgentTransport = Fleetward.Agent.Telemetry.TransportProtocol;
using AgentGpsFix = Fleetward.Agent.Telemetry.GpsFix;

namespace Fleetward.Agent.Tests.Runtime;

public sealed class TelemetryReportMapperTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private TelemetryReportMapper NewMapper() => new("robot-1", directory.Sub("sequence"), TimeSpan.FromSeconds(60));

    internal static SystemSnapshot Snapshot(
        DateTimeOffset at,
        ulong rxBytes = 1000,
        ulong txBytes = 500,
        IReadOnlyList<SocketEntry>? established = null,
        IReadOnlyList<SocketEntry>? listeners = null,
        IReadOnlyList<Fleetward.Agent.Telemetry.DeletedExecutableProcess>? deleted = null,
        SensorReadings? sensors = null,
        double? cpu = 0.25,
        IReadOnlyDictionary<ulong, SocketOwner>? owners = null) => new(
        at,
        cpu,
        new MemoryInfo(8_000_000, 6_000_000),
        [new InterfaceCounters("lo", 99_999, 999, 99_999, 999), new InterfaceCounters("eth0", rxBytes, rxBytes / 100, txBytes, txBytes / 100)],
        established ?? [],
        listeners ?? [],
        new ProcessSummary(42, deleted ?? []) { SocketOwners = owners ?? new Dictionary<ulong, SocketOwner>() },
        TimeSpan.FromHours(3),
        new RebootCount("boot-1", 2),
        45.5,
        0,
        0,
        sensors ?? SensorReadings.None);

    private static SocketEntry Socket(AgentTransport protocol, string local, int localPort, string remote, int remotePort, int state, ulong inode = 1) =>
        new(protocol, new IPEndPoint(IPAddress.Parse(local), localPort), new IPEndPoint(IPAddress.Parse(remote), remotePort), state, inode);

    [Fact]
    public void Outgoing_attempts_keep_their_state_and_listeners_name_their_process_so_the_server_sees_scans_and_takeovers()
    {
        var report = NewMapper().Map(Snapshot(Start,
            established:
            [
                Socket(AgentTransport.Tcp, "10.0.0.2", 40000, "203.0.113.7", 443, SocketEntry.TcpEstablished),
                Socket(AgentTransport.Tcp, "10.0.0.2", 40001, "198.51.100.9", 23, SocketEntry.TcpSynSent),
            ],
            listeners:
            [
                Socket(AgentTransport.Tcp, "0.0.0.0", 22, "0.0.0.0", 0, SocketEntry.TcpListen, inode: 7001),
                Socket(AgentTransport.Tcp, "0.0.0.0", 8080, "0.0.0.0", 0, SocketEntry.TcpListen, inode: 7002),
            ],
            owners: new Dictionary<ulong, SocketOwner> { [7001] = new(666, "dvrHelper") }), [], []);

        Assert.Equal([TcpConnectionState.Established, TcpConnectionState.SynSent], report.TcpConnections.Select(c => c.State));
        Assert.Equal([(22, (int?)666, "dvrHelper"), (8080, null, null)], report.Listeners.Select(l => (l.Port, l.Pid, l.ProcessName)));
        Assert.Null(TelemetryReportValidator.Validate(report, Start));
    }

    [Fact]
    public void First_report_covers_the_configured_interval_and_has_no_traffic_yet()
    {
        var report = NewMapper().Map(Snapshot(Start), [], []);

        Assert.Equal(0, report.Sequence);
        Assert.Equal(60, report.IntervalSeconds);
        Assert.Equal(0, report.Network.BytesIn);
        Assert.Equal(25, report.CpuPercent);
        Assert.Equal(2_000_000, report.MemoryUsedBytes);
        Assert.Equal(2, report.BootCount);
        Assert.Null(TelemetryReportValidator.Validate(report, Start));
    }

    [Fact]
    public void Counters_become_per_interval_deltas_without_loopback()
    {
        var mapper = NewMapper();
        mapper.Map(Snapshot(Start, rxBytes: 1000, txBytes: 500), [], []);

        var report = mapper.Map(Snapshot(Start.AddSeconds(30), rxBytes: 4000, txBytes: 700), [], []);

        Assert.Equal(1, report.Sequence);
        Assert.Equal(30, report.IntervalSeconds);
        Assert.Equal(3000, report.Network.BytesIn);
        Assert.Equal(200, report.Network.BytesOut);
        Assert.Equal(30, report.Network.PacketsIn);
    }

    [Fact]
    public void A_counter_that_went_down_was_reset_and_counts_from_zero()
    {
        Assert.Equal(300, TelemetryReportMapper.Delta(300, 5000));
        Assert.Equal(0, TelemetryReportMapper.Delta(300, null));
        Assert.Equal(200, TelemetryReportMapper.Delta(500, 300));
    }

    [Fact]
    public void Sequence_keeps_growing_across_agent_restarts()
    {
        NewMapper().Map(Snapshot(Start), [], []);
        NewMapper().Map(Snapshot(Start), [], []);

        var report = NewMapper().Map(Snapshot(Start), [], []);

        Assert.Equal(2, report.Sequence);
    }

    [Fact]
    public void A_clock_step_backwards_still_gives_a_valid_interval()
    {
        var mapper = NewMapper();
        mapper.Map(Snapshot(Start), [], []);

        var report = mapper.Map(Snapshot(Start.AddSeconds(-5)), [], []);

        Assert.True(report.IntervalSeconds > 0);
        Assert.Null(TelemetryReportValidator.Validate(report, Start));
    }

    [Fact]
    public void Connections_listeners_and_deleted_executables_are_mapped_and_listeners_deduplicated()
    {
        var report = NewMapper().Map(Snapshot(Start,
            established: [Socket(AgentTransport.Tcp, "10.0.0.2", 40000, "203.0.113.7", 443, SocketEntry.TcpEstablished)],
            listeners:
            [
                Socket(AgentTransport.Tcp, "0.0.0.0", 22, "0.0.0.0", 0, SocketEntry.TcpListen),
                Socket(AgentTransport.Tcp, "::", 22, "::", 0, SocketEntry.TcpListen),
                Socket(AgentTransport.Udp, "0.0.0.0", 5353, "0.0.0.0", 0, SocketEntry.TcpClose),
            ],
            deleted: [new Fleetward.Agent.Telemetry.DeletedExecutableProcess(666, "", "/tmp/.x/mirai")]), [], []);

        var connection = Assert.Single(report.TcpConnections);
        Assert.Equal(("203.0.113.7", 443), (connection.RemoteAddress, connection.RemotePort));
        Assert.Equal([(Core.Telemetry.TransportProtocol.Tcp, 22), (Core.Telemetry.TransportProtocol.Udp, 5353)], report.Listeners.Select(l => (l.Protocol, l.Port)));
        var process = Assert.Single(report.DeletedExecutables);
        Assert.Equal((666, "?", "/tmp/.x/mirai"), (process.Pid, process.Name, process.Path));
        Assert.Null(TelemetryReportValidator.Validate(report, Start));
    }

    [Fact]
    public void Failures_are_trimmed_to_the_wire_limits()
    {
        var failures = Enumerable.Range(0, TelemetryLimits.MaxAgentFailures + 10)
            .Select(i => new AgentFailure { Subject = "rel " + i, Reason = new string('x', TelemetryLimits.MaxFailureTextLength + 50) })
            .ToList();

        var report = NewMapper().Map(Snapshot(Start), failures, []);

        Assert.Equal(TelemetryLimits.MaxAgentFailures, report.IntegrityFailures.Count);
        Assert.Equal("rel 10", report.IntegrityFailures[0].Subject);
        Assert.All(report.IntegrityFailures, f => Assert.Equal(TelemetryLimits.MaxFailureTextLength, f.Reason.Length));
        Assert.Null(TelemetryReportValidator.Validate(report, Start));
    }

    [Fact]
    public void Sensors_are_mapped_and_a_fix_without_accuracy_counts_as_the_least_accurate()
    {
        var report = NewMapper().Map(Snapshot(Start, sensors: new SensorReadings(new AgentGpsFix(48.1, 11.5, null), true, 35.5)), [], []);

        Assert.NotNull(report.Sensors);
        Assert.Equal((48.1, 11.5, TelemetryLimits.MaxGpsAccuracyMeters), (report.Sensors.Gps!.Latitude, report.Sensors.Gps.Longitude, report.Sensors.Gps.AccuracyMeters));
        Assert.True(report.Sensors.TamperOpen);
        Assert.Equal(35.5, report.Sensors.PowerWatts);
        Assert.Null(NewMapper().Map(Snapshot(Start), [], []).Sensors);
    }

    [Fact]
    public void Encoded_reports_decode_as_a_valid_batch()
    {
        var mapper = NewMapper();
        var first = TelemetryCodec.Encode(mapper.Map(Snapshot(Start), [], []));
        var second = TelemetryCodec.Encode(mapper.Map(Snapshot(Start.AddSeconds(60)), [], []));
        var batch = System.Text.Encoding.UTF8.GetBytes("{\"reports\":[" + System.Text.Encoding.UTF8.GetString(first) + "," + System.Text.Encoding.UTF8.GetString(second) + "]}");

        var decoded = TelemetryCodec.DecodeBatch(batch, Start.AddMinutes(1), "robot-1");

        Assert.True(decoded.IsValid, decoded.Error?.ToString());
        Assert.Equal([0L, 1L], decoded.Value!.Reports.Select(r => r.Sequence));
    }
}
