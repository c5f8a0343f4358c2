using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Ports;

/// <summary>The last report of a device as received, for the device page and forensics.</summary>
public sealed record StoredTelemetry(string DeviceId, long Sequence, DateTimeOffset SampledAt, DateTimeOffset ReceivedAt, TelemetryReport Report);

/// <summary>One point of a device's recent history: the few numbers a sparkline needs, not the whole report.</summary>
public sealed record TelemetryPoint(long Sequence, DateTimeOffset SampledAt, double CpuPercent, long MemoryUsedBytes,
    long BytesIn, long BytesOut, int TcpConnections, int ProcessCount)
{
    public static TelemetryPoint Of(TelemetryReport report) => new(report.Sequence, report.SampledAt, report.CpuPercent,
        report.MemoryUsedBytes, report.Network.BytesIn, report.Network.BytesOut, report.TcpConnections.Count, report.ProcessCount);
}

/// <summary>
/// Telemetry as kept: the latest full report per device and a bounded recent history of key numbers. Older history
/// is dropped on write, so a chatty device cannot grow the database.
/// </summary>
public interface ITelemetryRepository
{
    /// <summary>Reports kept in the history of one device; older points are deleted as new ones arrive.</summary>
    const int MaxHistoryPerDevice = 120;

    /// <summary>Stores the report as the device's latest (when its sequence is newer) and appends it to the history.</summary>
    Task RecordAsync(TelemetryReport report, DateTimeOffset receivedAt, CancellationToken cancellationToken = default);

    Task<StoredTelemetry?> GetLatestAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="limit"/> points of the device, oldest first.</summary>
    Task<IReadOnlyList<TelemetryPoint>> ListRecentAsync(string deviceId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the detection engine learned, persisted so a restart does not relearn baselines or accept replays.
/// Saving replaces the previous snapshot of the same device or model.
/// </summary>
public interface IDetectionSnapshotRepository
{
    Task SaveDeviceAsync(DeviceDetectionSnapshot snapshot, DateTimeOffset savedAt, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DeviceDetectionSnapshot>> ListDevicesAsync(CancellationToken cancellationToken = default);

    Task SaveModelAsync(ModelBaselineSnapshot snapshot, DateTimeOffset savedAt, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ModelBaselineSnapshot>> ListModelsAsync(CancellationToken cancellationToken = default);
}
