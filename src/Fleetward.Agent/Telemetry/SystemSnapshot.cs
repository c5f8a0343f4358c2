namespace Fleetward.Agent.Telemetry;

/// <summary>
/// One reading of the device, in raw figures as the kernel reports them; the agent maps it to the wire
/// report. Counters (bytes, packets) are cumulative since boot so the server can difference them.
/// </summary>
public sealed record SystemSnapshot(
    DateTimeOffset CollectedAt,
    double? CpuUsage,
    MemoryInfo Memory,
    IReadOnlyList<InterfaceCounters> Interfaces,
    IReadOnlyList<SocketEntry> EstablishedConnections,
    IReadOnlyList<SocketEntry> Listeners,
    ProcessSummary Processes,
    TimeSpan Uptime,
    RebootCount Reboots,
    double? TemperatureCelsius,
    long IntegrityCheckFailures,
    long InstallFailures,
    SensorReadings Sensors)
{
    /// <summary>Traffic over all interfaces except loopback, which never leaves the device.</summary>
    public InterfaceCounters ExternalTraffic => new(
        "external",
        (ulong)Interfaces.Where(i => !i.IsLoopback).Sum(i => (decimal)i.ReceivedBytes),
        (ulong)Interfaces.Where(i => !i.IsLoopback).Sum(i => (decimal)i.ReceivedPackets),
        (ulong)Interfaces.Where(i => !i.IsLoopback).Sum(i => (decimal)i.SentBytes),
        (ulong)Interfaces.Where(i => !i.IsLoopback).Sum(i => (decimal)i.SentPackets));
}
