using System.Text.Json.Serialization;

namespace Fleetward.Core.Telemetry;

/// <summary>
/// One telemetry sample from a device: what the agent read from /proc, /sys, its own checks and the robot's
/// sensors at <see cref="SampledAt"/>. The agent writes it, the server scores it; the device id inside is only a
/// claim and must match the mTLS identity before anything trusts it.
/// Network counters cover the <see cref="IntervalSeconds"/> since the previous sample, so a lost report loses one
/// interval, not the rate.
/// </summary>
public sealed record TelemetryReport
{
    public required string DeviceId { get; init; }

    /// <summary>Increases by one per sample on the device; the server drops repeats and reordering.</summary>
    public required long Sequence { get; init; }

    public required DateTimeOffset SampledAt { get; init; }

    /// <summary>Seconds covered by the network counters (time since the previous sample).</summary>
    public required double IntervalSeconds { get; init; }

    public required double CpuPercent { get; init; }
    public required long MemoryUsedBytes { get; init; }
    public required long MemoryTotalBytes { get; init; }
    public required NetworkCounters Network { get; init; }

    /// <summary>TCP sockets with a remote peer: established ones and outgoing attempts still in SYN-SENT.</summary>
    public IReadOnlyList<TcpConnection> TcpConnections { get; init; } = [];

    public IReadOnlyList<ListeningSocket> Listeners { get; init; } = [];
    public required int ProcessCount { get; init; }

    /// <summary>Processes whose /proc/PID/exe link ends in " (deleted)": malware often unlinks itself.</summary>
    public IReadOnlyList<DeletedExecutableProcess> DeletedExecutables { get; init; } = [];

    public required double UptimeSeconds { get; init; }

    /// <summary>Boots the agent has seen on this device since it was installed (monotonic).</summary>
    public required long BootCount { get; init; }

    /// <summary>Integrity checks the agent ran since the previous sample that failed.</summary>
    public IReadOnlyList<AgentFailure> IntegrityFailures { get; init; } = [];

    /// <summary>Update installs that failed since the previous sample.</summary>
    public IReadOnlyList<AgentFailure> InstallFailures { get; init; } = [];

    /// <summary>Robot sensors; absent on devices without them.</summary>
    public RobotSensors? Sensors { get; init; }
}

/// <summary>Interface counters summed over all non-loopback interfaces for one interval.</summary>
public sealed record NetworkCounters
{
    public required long BytesIn { get; init; }
    public required long BytesOut { get; init; }
    public required long PacketsIn { get; init; }
    public required long PacketsOut { get; init; }
}

/// <summary>TCP states the agent reports (from /proc/net/tcp and tcp6 "st").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TcpConnectionState>))]
public enum TcpConnectionState
{
    [JsonStringEnumMemberName("established")] Established,
    [JsonStringEnumMemberName("syn_sent")] SynSent,
}

/// <summary>A TCP socket with a remote peer; the address is IPv4 or IPv6 text.</summary>
public sealed record TcpConnection
{
    public required string RemoteAddress { get; init; }
    public required int RemotePort { get; init; }
    public TcpConnectionState State { get; init; } = TcpConnectionState.Established;
}

/// <summary>Transport of a listening socket (from /proc/net/tcp[6] and udp[6]).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TransportProtocol>))]
public enum TransportProtocol
{
    [JsonStringEnumMemberName("tcp")] Tcp,
    [JsonStringEnumMemberName("udp")] Udp,
}

/// <summary>A listening TCP or bound UDP port, with its owning process when the agent could resolve it.</summary>
public sealed record ListeningSocket
{
    public required TransportProtocol Protocol { get; init; }
    public required int Port { get; init; }
    public int? Pid { get; init; }
    public string? ProcessName { get; init; }
}

/// <summary>A process running from an unlinked executable, named so an operator can find it on the device.</summary>
public sealed record DeletedExecutableProcess
{
    public required int Pid { get; init; }
    public required string Name { get; init; }
    public required string Path { get; init; }
}

/// <summary>A failed check or install as the agent saw it: what (subject) and why (reason).</summary>
public sealed record AgentFailure
{
    public required string Subject { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Signals only robots have; each is optional because sensors differ by model.</summary>
public sealed record RobotSensors
{
    public GpsFix? Gps { get; init; }

    /// <summary>True when the enclosure tamper switch reads open.</summary>
    public bool? TamperOpen { get; init; }

    public double? PowerWatts { get; init; }
}

/// <summary>A position fix with its own accuracy, so detectors can tell movement from GPS noise.</summary>
public sealed record GpsFix
{
    public required double Latitude { get; init; }
    public required double Longitude { get; init; }

    /// <summary>Horizontal accuracy radius in metres.</summary>
    public required double AccuracyMeters { get; init; }
}

/// <summary>What the agent sends per request: samples in sequence order, buffered while the server was unreachable.</summary>
public sealed record TelemetryBatch
{
    public required IReadOnlyList<TelemetryReport> Reports { get; init; }
}
