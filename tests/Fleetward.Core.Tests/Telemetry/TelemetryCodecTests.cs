using System.Text;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Tests.Telemetry;

public sealed class TelemetryCodecTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    internal static TelemetryReport Sample() => new()
    {
        DeviceId = "robot-0001",
        Sequence = 42,
        SampledAt = Now.AddSeconds(-5),
        IntervalSeconds = 60,
        CpuPercent = 12.5,
        MemoryUsedBytes = 200_000_000,
        MemoryTotalBytes = 1_000_000_000,
        Network = new() { BytesIn = 1000, BytesOut = 2000, PacketsIn = 10, PacketsOut = 20 },
        TcpConnections = [new() { RemoteAddress = "10.0.0.1", RemotePort = 8443 }, new() { RemoteAddress = "2001:db8::1", RemotePort = 23, State = TcpConnectionState.SynSent }],
        Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 100, ProcessName = "sshd" }],
        ProcessCount = 80,
        DeletedExecutables = [new() { Pid = 666, Name = "dvrHelper", Path = "/tmp/dvrHelper" }],
        UptimeSeconds = 3600,
        BootCount = 3,
        IntegrityFailures = [new() { Subject = "/usr/bin/agent", Reason = "hash mismatch" }],
        Sensors = new() { Gps = new() { Latitude = 52.5, Longitude = 13.4, AccuracyMeters = 4 }, TamperOpen = false, PowerWatts = 41.5 },
    };

    [Fact]
    public void Round_trips_a_full_report()
    {
        var report = Sample();
        var decoded = TelemetryCodec.DecodeReport(TelemetryCodec.Encode(report), Now);
        Assert.True(decoded.IsValid, decoded.Error?.ToString());
        Assert.Equal(TelemetryCodec.Encode(report), TelemetryCodec.Encode(decoded.Value!));
    }

    [Fact]
    public void Uses_snake_case_names_and_string_enums()
    {
        var json = Encoding.UTF8.GetString(TelemetryCodec.Encode(Sample()));
        Assert.Contains("\"device_id\":\"robot-0001\"", json);
        Assert.Contains("\"state\":\"syn_sent\"", json);
        Assert.Contains("\"protocol\":\"tcp\"", json);
        Assert.Contains("\"accuracy_meters\":4", json);
    }

    [Fact]
    public void Missing_required_field_is_named()
    {
        var json = """{"device_id":"d1","sequence":1,"sampled_at":"2026-11-21T11:00:00Z","interval_seconds":60,"cpu_percent":1,"memory_used_bytes":1,"memory_total_bytes":2,"network":{"bytes_in":0,"bytes_out":0,"packets_in":0,"packets_out":0},"process_count":1,"uptime_seconds":1}""";
        var result = TelemetryCodec.DecodeReport(Encoding.UTF8.GetBytes(json), Now);
        Assert.Equal("boot_count", result.Error!.Field);
        Assert.Equal("is required", result.Error.Message);
    }

    [Fact]
    public void Wrong_type_names_the_path()
    {
        var json = Encoding.UTF8.GetString(TelemetryCodec.Encode(Sample())).Replace("\"remote_port\":8443", "\"remote_port\":\"x\"");
        var result = TelemetryCodec.DecodeReport(Encoding.UTF8.GetBytes(json), Now);
        Assert.Equal("tcp_connections[0].remote_port", result.Error!.Field);
    }

    [Fact]
    public void Oversized_report_is_refused_before_parsing()
    {
        var result = TelemetryCodec.DecodeReport(new byte[TelemetryLimits.MaxReportBytes + 1], Now);
        Assert.Equal("$", result.Error!.Field);
        Assert.Contains("larger than", result.Error.Message);
    }

    [Fact]
    public void Malformed_json_is_refused()
    {
        var result = TelemetryCodec.DecodeReport("{\"device_id\":"u8, Now);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Batch_must_be_one_device_in_sequence_order()
    {
        var a = Sample();
        var batch = new TelemetryBatch { Reports = [a, a with { Sequence = 41 }] };
        var result = TelemetryCodec.DecodeBatch(TelemetryCodec.Encode(batch), Now);
        Assert.Equal("reports[1].sequence", result.Error!.Field);

        batch = new TelemetryBatch { Reports = [a, a with { Sequence = 43, DeviceId = "other" }] };
        Assert.Equal("reports[1].device_id", TelemetryCodec.DecodeBatch(TelemetryCodec.Encode(batch), Now).Error!.Field);

        batch = new TelemetryBatch { Reports = [a, a with { Sequence = 43 }] };
        Assert.True(TelemetryCodec.DecodeBatch(TelemetryCodec.Encode(batch), Now).IsValid);
    }

    [Fact]
    public void Batch_must_be_about_the_authenticated_device()
    {
        var bytes = TelemetryCodec.Encode(new TelemetryBatch { Reports = [Sample()] });
        Assert.True(TelemetryCodec.DecodeBatch(bytes, Now, expectedDeviceId: "robot-0001").IsValid);
        var result = TelemetryCodec.DecodeBatch(bytes, Now, expectedDeviceId: "robot-0002");
        Assert.Equal("reports[0].device_id", result.Error!.Field);
        Assert.Equal("does not match the authenticated device", result.Error.Message);
    }

    [Fact]
    public void Batch_errors_carry_the_report_index()
    {
        var a = Sample();
        var batch = new TelemetryBatch { Reports = [a, a with { Sequence = 43, CpuPercent = 101 }] };
        Assert.Equal("reports[1].cpu_percent", TelemetryCodec.DecodeBatch(TelemetryCodec.Encode(batch), Now).Error!.Field);
    }

    [Fact]
    public void Empty_and_oversized_batches_are_refused()
    {
        Assert.Equal("reports", TelemetryCodec.DecodeBatch("""{"reports":[]}"""u8, Now).Error!.Field);
        var many = Enumerable.Range(0, TelemetryLimits.MaxReportsPerBatch + 1).Select(i => Sample() with { Sequence = i }).ToList();
        Assert.Equal("reports", TelemetryCodec.DecodeBatch(TelemetryCodec.Encode(new TelemetryBatch { Reports = many }), Now).Error!.Field);
    }
}
