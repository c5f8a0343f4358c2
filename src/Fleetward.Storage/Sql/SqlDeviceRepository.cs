using System.Text;
using Dapper;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

internal sealed class SqlDeviceRepository(SqlSession session) : IDeviceRepository
{
    private const string Columns = "d.id AS Id, d.model AS Model, d.hardware_revision AS HardwareRevision, d.state AS State, d.created_at AS CreatedAt, d.first_seen_at AS FirstSeenAt, d.last_seen_at AS LastSeenAt";

    public async Task<bool> InsertAsync(Device device, CancellationToken cancellationToken = default)
    {
        var inserted = await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO devices (id, model, hardware_revision, state, created_at, first_seen_at, last_seen_at) " +
            "VALUES (@Id, @Model, @HardwareRevision, @State, @CreatedAt, @FirstSeenAt, @LastSeenAt) ON CONFLICT (id) DO NOTHING",
            new
            {
                device.Id,
                device.Model,
                device.HardwareRevision,
                State = device.State.ToName(),
                CreatedAt = UnixTime.ToMs(device.CreatedAt),
                FirstSeenAt = UnixTime.ToMs(device.FirstSeenAt),
                LastSeenAt = UnixTime.ToMs(device.LastSeenAt),
            },
            cancellationToken));
        if (inserted == 0)
        {
            return false;
        }

        foreach (var tag in device.Tags.Distinct(StringComparer.Ordinal))
        {
            await session.Connection.ExecuteAsync(session.Command(
                "INSERT INTO device_tags (device_id, tag) VALUES (@id, @tag)", new { id = device.Id, tag }, cancellationToken));
        }

        return true;
    }

    public async Task<Device?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var rows = await ListAsync(new DeviceQuery(Limit: 1), $"d.id = @Id", new { Id = id }, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<Device>> ListAsync(DeviceQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "limit must be between 1 and 10000.");
        }

        var where = new StringBuilder("1 = 1");
        if (query.AfterId is not null)
        {
            where.Append(" AND d.id > @AfterId");
        }

        if (query.State is not null)
        {
            where.Append(" AND d.state = @State");
        }

        if (query.Model is not null)
        {
            where.Append(" AND d.model = @Model");
        }

        if (query.Tag is not null)
        {
            where.Append(" AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = @Tag)");
        }

        return ListAsync(query, where.ToString(), new { query.AfterId, State = query.State?.ToName(), query.Model, query.Tag }, cancellationToken);
    }

    public Task<long> CountAsync(DeviceLifecycleState? state = null, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command(
            state is null ? "SELECT COUNT(*) FROM devices" : "SELECT COUNT(*) FROM devices WHERE state = @state",
            new { state = state?.ToName() }, cancellationToken));

    public async Task<bool> SetStateAsync(string id, DeviceLifecycleState state, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "UPDATE devices SET state = @state WHERE id = @id", new { id, state = state.ToName() }, cancellationToken)) == 1;

    public async Task<bool> MarkSeenAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "UPDATE devices SET first_seen_at = COALESCE(first_seen_at, @at), last_seen_at = @at WHERE id = @id",
            new { id, at = UnixTime.ToMs(at) }, cancellationToken)) == 1;

    /// <summary>One round trip: the page of devices joined with their tags, folded back into devices in id order.</summary>
    private async Task<IReadOnlyList<Device>> ListAsync(DeviceQuery query, string where, object parameters, CancellationToken cancellationToken)
    {
        var sql =
            $"SELECT p.*, t.tag AS Tag FROM (SELECT {Columns} FROM devices d WHERE {where} ORDER BY d.id LIMIT {query.Limit}) p " +
            "LEFT JOIN device_tags t ON t.device_id = p.Id ORDER BY p.Id, t.tag";
        var devices = new List<Device>();
        DeviceRow? current = null;
        var tags = new List<string>();
        foreach (var row in await session.Connection.QueryAsync<DeviceRow>(session.Command(sql, parameters, cancellationToken)))
        {
            if (current is null || current.Id != row.Id)
            {
                if (current is not null)
                {
                    devices.Add(current.ToDevice(tags));
                    tags = [];
                }

                current = row;
            }

            if (row.Tag is not null)
            {
                tags.Add(row.Tag);
            }
        }

        if (current is not null)
        {
            devices.Add(current.ToDevice(tags));
        }

        return devices;
    }

    private sealed class DeviceRow
    {
        public string Id { get; set; } = "";
        public string Model { get; set; } = "";
        public string? HardwareRevision { get; set; }
        public string State { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? FirstSeenAt { get; set; }
        public long? LastSeenAt { get; set; }
        public string? Tag { get; set; }

        public Device ToDevice(IReadOnlyList<string> tags) => new(
            Id,
            Model,
            HardwareRevision,
            tags,
            DeviceLifecycleStateNames.TryParse(State, out var state) ? state : throw new InvalidDataException($"devices row '{Id}' has unknown state '{State}'."),
            UnixTime.FromMs(CreatedAt),
            UnixTime.FromMs(FirstSeenAt),
            UnixTime.FromMs(LastSeenAt));
    }
}
