using System.Text;
using System.Text.Json;
using Dapper;
using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlIncidentRepository(SqlSession session) : IIncidentRepository
{
    private const string Columns =
        "id AS Id, device_id AS DeviceId, cause AS Cause, severity AS Severity, status AS Status, summary AS Summary, " +
        "first_anomalous_at AS FirstAnomalousAt, detected_at AS DetectedAt, contained_at AS ContainedAt, eradicated_at AS EradicatedAt, " +
        "recovered_at AS RecoveredAt, dismissed_at AS DismissedAt, last_detected_at AS LastDetectedAt, detection_count AS DetectionCount, " +
        "signals AS Signals, timeline AS Timeline";

    private const string OpenStatuses = "('detected', 'contained', 'eradicated')";

    public Task InsertAsync(Incident incident, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO incidents (id, device_id, cause, severity, status, summary, first_anomalous_at, detected_at, contained_at, eradicated_at, " +
            "recovered_at, dismissed_at, last_detected_at, detection_count, signals, timeline) VALUES (@Id, @DeviceId, @Cause, @Severity, @Status, " +
            "@Summary, @FirstAnomalousAt, @DetectedAt, @ContainedAt, @EradicatedAt, @RecoveredAt, @DismissedAt, @LastDetectedAt, @DetectionCount, @Signals, @Timeline)",
            IncidentRow.From(incident), cancellationToken));

    public async Task<bool> UpdateAsync(Incident incident, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "UPDATE incidents SET severity = @Severity, status = @Status, summary = @Summary, first_anomalous_at = @FirstAnomalousAt, " +
            "contained_at = @ContainedAt, eradicated_at = @EradicatedAt, recovered_at = @RecoveredAt, dismissed_at = @DismissedAt, " +
            "last_detected_at = @LastDetectedAt, detection_count = @DetectionCount, signals = @Signals, timeline = @Timeline " +
            "WHERE id = @Id AND device_id = @DeviceId AND cause = @Cause",
            IncidentRow.From(incident), cancellationToken)) == 1;

    public async Task<Incident?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<IncidentRow>(session.Command(
            $"SELECT {Columns} FROM incidents WHERE id = @id", new { id }, cancellationToken)))?.ToIncident();

    public async Task<OpenIncidentRecord?> FindOpenAsync(string deviceId, string cause, CancellationToken cancellationToken = default)
    {
        var row = await session.Connection.QuerySingleOrDefaultAsync<IncidentRow>(session.Command(
            $"SELECT {Columns} FROM incidents WHERE device_id = @deviceId AND cause = @cause AND status IN {OpenStatuses}",
            new { deviceId, cause }, cancellationToken));
        if (row is null)
        {
            return null;
        }

        var actions = await ListActionsAsync(row.Id, cancellationToken);
        return new OpenIncidentRecord(row.ToIncident(), actions.Select(a => a.Action).ToHashSet());
    }

    public async Task<IReadOnlyList<Incident>> ListOpenForDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<IncidentRow>(session.Command(
            $"SELECT {Columns} FROM incidents WHERE device_id = @deviceId AND status IN {OpenStatuses} ORDER BY id DESC",
            new { deviceId }, cancellationToken))).Select(r => r.ToIncident()).ToList();

    public async Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Limit is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "limit must be between 1 and 1000.");
        }

        var where = new StringBuilder("1 = 1");
        if (query.BeforeId is not null) where.Append(" AND id < @BeforeId");
        if (query.Status is not null) where.Append(" AND status = @Status");
        if (query.OpenOnly) where.Append($" AND status IN {OpenStatuses}");
        if (query.DeviceId is not null) where.Append(" AND device_id = @DeviceId");
        if (query.Cause is not null) where.Append(" AND cause = @Cause");
        return (await session.Connection.QueryAsync<IncidentRow>(session.Command(
            $"SELECT {Columns} FROM incidents WHERE {where} ORDER BY id DESC LIMIT {query.Limit}",
            new { query.BeforeId, Status = query.Status?.ToName(), query.DeviceId, query.Cause }, cancellationToken)))
            .Select(r => r.ToIncident()).ToList();
    }

    public Task RecordActionAsync(IncidentActionRecord action, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO incident_actions (incident_id, action, taken_at, actor) VALUES (@IncidentId, @Action, @TakenAt, @Actor) " +
            "ON CONFLICT (incident_id, action, taken_at) DO NOTHING",
            new { action.IncidentId, Action = action.Action.ToName(), TakenAt = UnixTime.ToMs(action.TakenAt), action.Actor }, cancellationToken));

    public async Task<IReadOnlyList<IncidentActionRecord>> ListActionsAsync(string incidentId, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<ActionRow>(session.Command(
            "SELECT incident_id AS IncidentId, action AS Action, taken_at AS TakenAt, actor AS Actor FROM incident_actions " +
            "WHERE incident_id = @incidentId ORDER BY taken_at, action", new { incidentId }, cancellationToken)))
        .Select(r => new IncidentActionRecord(r.IncidentId,
            ResponseActionNames.TryParse(r.Action, out var action) ? action : throw new InvalidDataException($"incident_actions row of '{r.IncidentId}' has unknown action '{r.Action}'."),
            UnixTime.FromMs(r.TakenAt), r.Actor))
        .ToList();

    private sealed class ActionRow
    {
        public string IncidentId { get; set; } = "";
        public string Action { get; set; } = "";
        public long TakenAt { get; set; }
        public string Actor { get; set; } = "";
    }

    private sealed class IncidentRow
    {
        public string Id { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string Cause { get; set; } = "";
        public long Severity { get; set; }
        public string Status { get; set; } = "";
        public string Summary { get; set; } = "";
        public long FirstAnomalousAt { get; set; }
        public long DetectedAt { get; set; }
        public long? ContainedAt { get; set; }
        public long? EradicatedAt { get; set; }
        public long? RecoveredAt { get; set; }
        public long? DismissedAt { get; set; }
        public long LastDetectedAt { get; set; }
        public long DetectionCount { get; set; }
        public string Signals { get; set; } = "[]";
        public string Timeline { get; set; } = "[]";

        public static IncidentRow From(Incident i) => new()
        {
            Id = i.Id,
            DeviceId = i.DeviceId,
            Cause = i.Cause,
            Severity = (int)i.Severity,
            Status = i.Status.ToName(),
            Summary = i.Summary,
            FirstAnomalousAt = UnixTime.ToMs(i.FirstAnomalousAt),
            DetectedAt = UnixTime.ToMs(i.DetectedAt),
            ContainedAt = UnixTime.ToMs(i.ContainedAt),
            EradicatedAt = UnixTime.ToMs(i.EradicatedAt),
            RecoveredAt = UnixTime.ToMs(i.RecoveredAt),
            DismissedAt = UnixTime.ToMs(i.DismissedAt),
            LastDetectedAt = UnixTime.ToMs(i.LastDetectedAt),
            DetectionCount = i.DetectionCount,
            Signals = WriteSignals(i.Signals),
            Timeline = JsonSerializer.Serialize(i.Timeline, IncidentJsonContext.Default.IReadOnlyListIncidentTimelineEntry),
        };

        public Incident ToIncident() => new()
        {
            Id = Id,
            DeviceId = DeviceId,
            Cause = Cause,
            Severity = Enum.IsDefined((DetectionSeverity)Severity) ? (DetectionSeverity)Severity : throw new InvalidDataException($"incidents row '{Id}' has unknown severity {Severity}."),
            Status = IncidentStatusNames.TryParse(Status, out var status) ? status : throw new InvalidDataException($"incidents row '{Id}' has unknown status '{Status}'."),
            Summary = Summary,
            FirstAnomalousAt = UnixTime.FromMs(FirstAnomalousAt),
            DetectedAt = UnixTime.FromMs(DetectedAt),
            ContainedAt = UnixTime.FromMs(ContainedAt),
            EradicatedAt = UnixTime.FromMs(EradicatedAt),
            RecoveredAt = UnixTime.FromMs(RecoveredAt),
            DismissedAt = UnixTime.FromMs(DismissedAt),
            LastDetectedAt = UnixTime.FromMs(LastDetectedAt),
            DetectionCount = (int)DetectionCount,
            Signals = ReadSignals(Signals),
            Timeline = JsonSerializer.Deserialize(Timeline, IncidentJsonContext.Default.IReadOnlyListIncidentTimelineEntry) ?? [],
        };

        private static string WriteSignals(IReadOnlyList<string> signals)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartArray();
                foreach (var signal in signals) writer.WriteStringValue(signal);
                writer.WriteEndArray();
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private static IReadOnlyList<string> ReadSignals(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        }
    }
}
