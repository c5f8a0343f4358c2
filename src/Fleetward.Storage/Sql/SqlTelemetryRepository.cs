using System.Text;
using System.Text.Json;
using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;

namespace Fleetward.Storage.Sql;

internal sealed class SqlTelemetryRepository(SqlSession session) : ITelemetryRepository
{
    public async Task RecordAsync(TelemetryReport report, DateTimeOffset receivedAt, CancellationToken cancellationToken = default)
    {
        var json = Encoding.UTF8.GetString(TelemetryCodec.Encode(report));
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO telemetry_latest (device_id, sequence, sampled_at, received_at, report) VALUES (@DeviceId, @Sequence, @SampledAt, @ReceivedAt, @Report) " +
            "ON CONFLICT (device_id) DO UPDATE SET sequence = excluded.sequence, sampled_at = excluded.sampled_at, received_at = excluded.received_at, report = excluded.report " +
            "WHERE excluded.sequence > telemetry_latest.sequence",
            new { report.DeviceId, report.Sequence, SampledAt = UnixTime.ToMs(report.SampledAt), ReceivedAt = UnixTime.ToMs(receivedAt), Report = json },
            cancellationToken));
        var point = TelemetryPoint.Of(report);
        await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO telemetry_history (device_id, sequence, sampled_at, cpu_percent, memory_used_bytes, bytes_in, bytes_out, tcp_connections, process_count) " +
            "VALUES (@DeviceId, @Sequence, @SampledAt, @CpuPercent, @MemoryUsedBytes, @BytesIn, @BytesOut, @TcpConnections, @ProcessCount) " +
            "ON CONFLICT (device_id, sequence) DO NOTHING",
            new
            {
                report.DeviceId,
                point.Sequence,
                SampledAt = UnixTime.ToMs(point.SampledAt),
                point.CpuPercent,
                point.MemoryUsedBytes,
                point.BytesIn,
                point.BytesOut,
                point.TcpConnections,
                point.ProcessCount,
            },
            cancellationToken));
        await session.Connection.ExecuteAsync(session.Command(
            "DELETE FROM telemetry_history WHERE device_id = @DeviceId AND sequence < " +
            "(SELECT MIN(sequence) FROM (SELECT sequence FROM telemetry_history WHERE device_id = @DeviceId ORDER BY sequence DESC LIMIT @Keep) kept)",
            new { report.DeviceId, Keep = ITelemetryRepository.MaxHistoryPerDevice }, cancellationToken));
    }

    public async Task<StoredTelemetry?> GetLatestAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        var row = await session.Connection.QuerySingleOrDefaultAsync<LatestRow>(session.Command(
            "SELECT device_id AS DeviceId, sequence AS Sequence, sampled_at AS SampledAt, received_at AS ReceivedAt, report AS Report " +
            "FROM telemetry_latest WHERE device_id = @deviceId", new { deviceId }, cancellationToken));
        if (row is null)
        {
            return null;
        }

        var report = JsonSerializer.Deserialize(row.Report, TelemetryJsonContext.Default.TelemetryReport)
            ?? throw new InvalidDataException($"telemetry_latest row '{deviceId}' holds no report.");
        return new StoredTelemetry(row.DeviceId, row.Sequence, UnixTime.FromMs(row.SampledAt), UnixTime.FromMs(row.ReceivedAt), report);
    }

    public async Task<IReadOnlyList<TelemetryPoint>> ListRecentAsync(string deviceId, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > ITelemetryRepository.MaxHistoryPerDevice)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"limit must be between 1 and {ITelemetryRepository.MaxHistoryPerDevice}.");
        }

        var rows = await session.Connection.QueryAsync<PointRow>(session.Command(
            "SELECT sequence AS Sequence, sampled_at AS SampledAt, cpu_percent AS CpuPercent, memory_used_bytes AS MemoryUsedBytes, bytes_in AS BytesIn, " +
            "bytes_out AS BytesOut, tcp_connections AS TcpConnections, process_count AS ProcessCount " +
            "FROM telemetry_history WHERE device_id = @deviceId ORDER BY sequence DESC LIMIT @limit",
            new { deviceId, limit }, cancellationToken));
        return rows.Reverse().Select(r => new TelemetryPoint(r.Sequence, UnixTime.FromMs(r.SampledAt), r.CpuPercent, r.MemoryUsedBytes,
            r.BytesIn, r.BytesOut, (int)r.TcpConnections, (int)r.ProcessCount)).ToList();
    }

    private sealed class LatestRow
    {
        public string DeviceId { get; set; } = "";
        public long Sequence { get; set; }
        public long SampledAt { get; set; }
        public long ReceivedAt { get; set; }
        public string Report { get; set; } = "";
    }

    private sealed class PointRow
    {
        public long Sequence { get; set; }
        public long SampledAt { get; set; }
        public double CpuPercent { get; set; }
        public long MemoryUsedBytes { get; set; }
        public long BytesIn { get; set; }
        public long BytesOut { get; set; }
        public long TcpConnections { get; set; }
        public long ProcessCount { get; set; }
    }
}
