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
    public InterfaceCounters ExternalTraffic => Interfaces
        .Where(i => !i.IsLoopback)
        .Aggregate(
            new InterfaceCounters("external", 0, 0, 0, 0),
            (sum, i) => sum with
            {
                ReceivedBytes = sum.ReceivedBytes + i.ReceivedBytes,
                ReceivedPackets = sum.ReceivedPackets + i.ReceivedPackets,
                SentBytes = sum.SentBytes + i.SentBytes,
                SentPackets = sum.SentPackets + i.SentPackets,
            });
}

/// <summary>Where telemetry readings come from: <see cref="TelemetryCollector"/> on a real device, a synthetic source in the simulator.</summary>
public interface ISnapshotSource
{
    SystemSnapshot Collect();
}
