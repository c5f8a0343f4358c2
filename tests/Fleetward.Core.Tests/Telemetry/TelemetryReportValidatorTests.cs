using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Tests.Telemetry;

public sealed class TelemetryReportValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly TelemetryReport Valid = TelemetryCodecTests.Sample();

    public static TheoryData<string, TelemetryReport> Invalid() => new()
    {
        { "device_id", Valid with { DeviceId = "robot 1" } },
        { "device_id", Valid with { DeviceId = new string('a', 129) } },
        { "sequence", Valid with { Sequence = -1 } },
        { "sampled_at", Valid with { SampledAt = Now.AddMinutes(6) } },
        { "interval_seconds", Valid with { IntervalSeconds = 0 } },
        { "cpu_percent", Valid with { CpuPercent = 100.1 } },
        { "memory_total_bytes", Valid with { MemoryTotalBytes = 0 } },
        { "memory_used_bytes", Valid with { MemoryUsedBytes = Valid.MemoryTotalBytes + 1 } },
        { "network.bytes_out", Valid with { Network = Valid.Network with { BytesOut = -1 } } },
        { "process_count", Valid with { ProcessCount = -1 } },
        { "boot_count", Valid with { BootCount = -1 } },
        { "tcp_connections[1].remote_address", Valid with { TcpConnections = [Valid.TcpConnections[0], new() { RemoteAddress = "not-an-ip", RemotePort = 1 }] } },
        { "tcp_connections[0].remote_port", Valid with { TcpConnections = [new() { RemoteAddress = "1.2.3.4", RemotePort = 0 }] } },
        { "tcp_connections", Valid with { TcpConnections = Enumerable.Repeat(Valid.TcpConnections[0], TelemetryLimits.MaxTcpConnections + 1).ToList() } },
        { "listeners[0].port", Valid with { Listeners = [new() { Protocol = TransportProtocol.Udp, Port = 70000 }] } },
        { "listeners[0].process_name", Valid with { Listeners = [new() { Protocol = TransportProtocol.Udp, Port = 53, ProcessName = new string('x', 65) }] } },
        { "deleted_executables[0].path", Valid with { DeletedExecutables = [new() { Pid = 1, Name = "x", Path = "" }] } },
        { "integrity_failures[0].subject", Valid with { IntegrityFailures = [new() { Subject = "", Reason = "r" }] } },
        { "install_failures", Valid with { InstallFailures = Enumerable.Repeat(new AgentFailure { Subject = "s", Reason = "r" }, TelemetryLimits.MaxAgentFailures + 1).ToList() } },
        { "sensors.gps.latitude", Valid with { Sensors = new() { Gps = new() { Latitude = 91, Longitude = 0, AccuracyMeters = 1 } } } },
        { "sensors.gps.longitude", Valid with { Sensors = new() { Gps = new() { Latitude = 0, Longitude = -181, AccuracyMeters = 1 } } } },
        { "sensors.gps.accuracy_meters", Valid with { Sensors = new() { Gps = new() { Latitude = 0, Longitude = 0, AccuracyMeters = -1 } } } },
        { "sensors.power_watts", Valid with { Sensors = new() { PowerWatts = -0.5 } } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Names_the_offending_field(string field, TelemetryReport report)
    {
        Assert.Equal(field, TelemetryReportValidator.Validate(report, Now)?.Field);
    }

    [Fact]
    public void Accepts_a_valid_report_and_small_clock_skew()
    {
        Assert.Null(TelemetryReportValidator.Validate(Valid, Now));
        Assert.Null(TelemetryReportValidator.Validate(Valid with { SampledAt = Now.AddMinutes(4) }, Now));
    }

    [Fact]
    public void Accepts_a_report_without_sensors_or_lists()
    {
        Assert.Null(TelemetryReportValidator.Validate(Valid with { Sensors = null, TcpConnections = [], Listeners = [], DeletedExecutables = [], IntegrityFailures = [] }, Now));
    }
}
