using Dapper;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

/// <summary>Forensic bundles as one row each, content inline (bounded by the upload endpoint).</summary>
internal sealed class SqlForensicBundleRepository(SqlSession session) : IForensicBundleRepository
{
    private const string Columns =
        "id AS Id, device_id AS DeviceId, command_id AS CommandId, incident_id AS IncidentId, sha256 AS Sha256, size_bytes AS SizeBytes, received_at AS ReceivedAt";

    public async Task<bool> InsertAsync(ForensicBundleInfo info, byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(content);
        return await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO forensic_bundles (id, device_id, command_id, incident_id, sha256, size_bytes, received_at, content) " +
            "VALUES (@Id, @DeviceId, @CommandId, @IncidentId, @Sha256, @SizeBytes, @ReceivedAt, @Content) ON CONFLICT (command_id) DO NOTHING",
            new
            {
                info.Id, info.DeviceId, info.CommandId, info.IncidentId, Sha256 = info.Sha256Hex, info.SizeBytes,
                ReceivedAt = UnixTime.ToMs(info.ReceivedAt), Content = content,
            },
            cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<ForensicBundleInfo>> ListForDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM forensic_bundles WHERE device_id = @deviceId ORDER BY received_at DESC, id", new { deviceId }, cancellationToken)))
        .Select(r => r.ToInfo()).ToList();

    public async Task<(ForensicBundleInfo Info, byte[] Content)?> GetAsync(string deviceId, string id, CancellationToken cancellationToken = default)
    {
        var row = await session.Connection.QuerySingleOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns}, content AS Content FROM forensic_bundles WHERE device_id = @deviceId AND id = @id", new { deviceId, id }, cancellationToken));
        return row is null ? null : (row.ToInfo(), row.Content);
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string CommandId { get; set; } = "";
        public string? IncidentId { get; set; }
        public string Sha256 { get; set; } = "";
        public long SizeBytes { get; set; }
        public long ReceivedAt { get; set; }
        public byte[] Content { get; set; } = [];

        public ForensicBundleInfo ToInfo() => new(Id, DeviceId, CommandId, IncidentId, Sha256, SizeBytes, UnixTime.FromMs(ReceivedAt));
    }
}
