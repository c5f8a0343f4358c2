using System.Text.Json;
using Dapper;
using Fleetward.Core.Detection;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlDetectionSnapshotRepository(SqlSession session) : IDetectionSnapshotRepository
{
    public Task SaveDeviceAsync(DeviceDetectionSnapshot snapshot, DateTimeOffset savedAt, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO detection_device_snapshots (device_id, saved_at, snapshot) VALUES (@Key, @SavedAt, @Snapshot) " +
            "ON CONFLICT (device_id) DO UPDATE SET saved_at = excluded.saved_at, snapshot = excluded.snapshot",
            new { Key = snapshot.DeviceId, SavedAt = UnixTime.ToMs(savedAt), Snapshot = JsonSerializer.Serialize(snapshot, DetectionSnapshotJsonContext.Default.DeviceDetectionSnapshot) },
            cancellationToken));

    public async Task<IReadOnlyList<DeviceDetectionSnapshot>> ListDevicesAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<string>(session.Command(
            "SELECT snapshot FROM detection_device_snapshots ORDER BY device_id", null, cancellationToken)))
        .Select(json => JsonSerializer.Deserialize(json, DetectionSnapshotJsonContext.Default.DeviceDetectionSnapshot)
            ?? throw new InvalidDataException("detection_device_snapshots holds an empty snapshot."))
        .ToList();

    public Task SaveModelAsync(ModelBaselineSnapshot snapshot, DateTimeOffset savedAt, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO detection_model_snapshots (model, saved_at, snapshot) VALUES (@Key, @SavedAt, @Snapshot) " +
            "ON CONFLICT (model) DO UPDATE SET saved_at = excluded.saved_at, snapshot = excluded.snapshot",
            new { Key = snapshot.Model, SavedAt = UnixTime.ToMs(savedAt), Snapshot = JsonSerializer.Serialize(snapshot, DetectionSnapshotJsonContext.Default.ModelBaselineSnapshot) },
            cancellationToken));

    public async Task<IReadOnlyList<ModelBaselineSnapshot>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<string>(session.Command(
            "SELECT snapshot FROM detection_model_snapshots ORDER BY model", null, cancellationToken)))
        .Select(json => JsonSerializer.Deserialize(json, DetectionSnapshotJsonContext.Default.ModelBaselineSnapshot)
            ?? throw new InvalidDataException("detection_model_snapshots holds an empty snapshot."))
        .ToList();
}
