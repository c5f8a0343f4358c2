using Dapper;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlIncidentSiemOutbox(SqlSession session) : IIncidentSiemOutbox
{
    public Task EnqueueAsync(string sink, string eventJson, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO siem_outbox (sink, event, created_at, attempts, next_attempt_at) VALUES (@sink, @eventJson, @at, 0, @at)",
            new { sink, eventJson, at = UnixTime.ToMs(at) }, cancellationToken));

    public async Task<IReadOnlyList<SiemOutboxEntry>> ListDueAsync(string sink, DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            "SELECT id AS Id, sink AS Sink, event AS Event, created_at AS CreatedAt, attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError " +
            "FROM siem_outbox WHERE sink = @sink AND next_attempt_at <= @now ORDER BY id LIMIT @limit",
            new { sink, now = UnixTime.ToMs(now), limit }, cancellationToken)))
        .Select(r => new SiemOutboxEntry(r.Id, r.Sink, r.Event, UnixTime.FromMs(r.CreatedAt), (int)r.Attempts, UnixTime.FromMs(r.NextAttemptAt), r.LastError))
        .ToList();

    public Task DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command("DELETE FROM siem_outbox WHERE id = @id", new { id }, cancellationToken));

    public Task RescheduleAsync(long id, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "UPDATE siem_outbox SET attempts = attempts + 1, next_attempt_at = @next, last_error = @error WHERE id = @id",
            new { id, next = UnixTime.ToMs(nextAttemptAt), error }, cancellationToken));

    public Task<long> CountAsync(string sink, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command("SELECT COUNT(*) FROM siem_outbox WHERE sink = @sink", new { sink }, cancellationToken));

    private sealed class Row
    {
        public long Id { get; set; }
        public string Sink { get; set; } = "";
        public string Event { get; set; } = "";
        public long CreatedAt { get; set; }
        public long Attempts { get; set; }
        public long NextAttemptAt { get; set; }
        public string? LastError { get; set; }
    }
}
