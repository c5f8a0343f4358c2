using Dapper;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlDeviceCommandRepository(SqlSession session) : IDeviceCommandRepository
{
    private const string Columns =
        "id AS Id, device_id AS DeviceId, kind AS Kind, incident_id AS IncidentId, envelope AS Envelope, status AS Status, issued_at AS IssuedAt, " +
        "expires_at AS ExpiresAt, delivered_at AS DeliveredAt, completed_at AS CompletedAt, outcome AS Outcome";

    public Task InsertAsync(StoredDeviceCommand command, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_commands (id, device_id, kind, incident_id, envelope, status, issued_at, expires_at, delivered_at, completed_at, outcome) " +
            "VALUES (@Id, @DeviceId, @Kind, @IncidentId, @Envelope, @Status, @IssuedAt, @ExpiresAt, @DeliveredAt, @CompletedAt, @Outcome)",
            new
            {
                command.Id,
                command.DeviceId,
                Kind = command.Kind.ToName(),
                command.IncidentId,
                command.Envelope,
                Status = command.Status.ToName(),
                IssuedAt = UnixTime.ToMs(command.IssuedAt),
                ExpiresAt = UnixTime.ToMs(command.ExpiresAt),
                DeliveredAt = UnixTime.ToMs(command.DeliveredAt),
                CompletedAt = UnixTime.ToMs(command.CompletedAt),
                command.Outcome,
            },
            cancellationToken));

    public async Task<StoredDeviceCommand?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns} FROM device_commands WHERE id = @id", new { id }, cancellationToken)))?.ToCommand();

    public async Task<IReadOnlyList<StoredDeviceCommand>> ListOutstandingAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM device_commands WHERE device_id = @deviceId AND status IN ('pending', 'delivered') AND expires_at > @now " +
            "ORDER BY issued_at, id LIMIT 100", new { deviceId, now = UnixTime.ToMs(now) }, cancellationToken)))
        .Select(r => r.ToCommand()).ToList();

    public async Task<IReadOnlyList<StoredDeviceCommand>> ListForDeviceAsync(string deviceId, int limit, CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM device_commands WHERE device_id = @deviceId ORDER BY issued_at DESC, id DESC LIMIT @limit",
            new { deviceId, limit = Math.Clamp(limit, 1, 1000) }, cancellationToken)))
        .Select(r => r.ToCommand()).ToList();

    public async Task MarkDeliveredAsync(IReadOnlyList<string> ids, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        foreach (var id in ids)
        {
            await session.Connection.ExecuteAsync(session.Command(
                "UPDATE device_commands SET status = 'delivered', delivered_at = @at WHERE id = @id AND status = 'pending'",
                new { id, at = UnixTime.ToMs(at) }, cancellationToken));
        }
    }

    public async Task<bool> RecordOutcomeAsync(string deviceId, string id, DeviceCommandStatus status, string outcome, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        if (status is DeviceCommandStatus.Pending or DeviceCommandStatus.Delivered)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "an outcome is completed, refused or failed.");
        }

        return await session.Connection.ExecuteAsync(session.Command(
            "UPDATE device_commands SET status = @status, outcome = @outcome, completed_at = @at " +
            "WHERE id = @id AND device_id = @deviceId AND status IN ('pending', 'delivered')",
            new { id, deviceId, status = status.ToName(), outcome, at = UnixTime.ToMs(at) }, cancellationToken)) == 1;
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? IncidentId { get; set; }
        public string Envelope { get; set; } = "";
        public string Status { get; set; } = "";
        public long IssuedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? DeliveredAt { get; set; }
        public long? CompletedAt { get; set; }
        public string? Outcome { get; set; }

        public StoredDeviceCommand ToCommand() => new(
            Id,
            DeviceId,
            DeviceCommandKindNames.TryParse(Kind, out var kind) ? kind : throw new InvalidDataException($"device_commands row '{Id}' has unknown kind '{Kind}'."),
            IncidentId,
            Envelope,
            DeviceCommandStatusNames.TryParse(Status, out var status) ? status : throw new InvalidDataException($"device_commands row '{Id}' has unknown status '{Status}'."),
            UnixTime.FromMs(IssuedAt),
            UnixTime.FromMs(ExpiresAt),
            UnixTime.FromMs(DeliveredAt),
            UnixTime.FromMs(CompletedAt),
            Outcome);
    }
}
