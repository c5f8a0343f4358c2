using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Sql;

/// <summary>The reported software state of devices (device_software), and the planner's joined view of active devices.</summary>
internal sealed class SqlRolloutDeviceSoftwareRepository(SqlSession session) : IRolloutDeviceSoftwareRepository
{
    public Task UpsertAsync(DeviceSoftwareState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_software (device_id, release_id, version, security_version, slot, health, checked_in_at) " +
            "VALUES (@DeviceId, @ReleaseId, @Version, @SecurityVersion, @Slot, @Health, @CheckedInAt) " +
            "ON CONFLICT (device_id) DO UPDATE SET release_id = excluded.release_id, version = excluded.version, " +
            "security_version = excluded.security_version, slot = excluded.slot, health = excluded.health, checked_in_at = excluded.checked_in_at",
            new { state.DeviceId, state.ReleaseId, state.Version, state.SecurityVersion, state.Slot, state.Health, CheckedInAt = UnixTime.ToMs(state.CheckedInAt) },
            cancellationToken));
    }

    public async Task<DeviceSoftwareState?> GetAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        var row = (await session.Connection.QueryAsync<SoftwareRow>(session.Command(
            "SELECT device_id AS DeviceId, release_id AS ReleaseId, version AS Version, security_version AS SecurityVersion, slot AS Slot, " +
            "health AS Health, checked_in_at AS CheckedInAt FROM device_software WHERE device_id = @deviceId",
            new { deviceId }, cancellationToken))).FirstOrDefault();
        return row is null ? null : new DeviceSoftwareState(row.DeviceId, row.ReleaseId, row.Version, row.SecurityVersion, row.Slot, row.Health, UnixTime.FromMs(row.CheckedInAt));
    }

    public async Task<IReadOnlyList<DeviceFacts>> ListActiveFactsAsync(string? afterId, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be between 1 and 10000.");
        }

        var rows = await session.Connection.QueryAsync<FactsRow>(session.Command(
            "SELECT p.Id, p.Model, p.Version, p.SecurityVersion, t.tag AS Tag FROM (" +
            "SELECT d.id AS Id, d.model AS Model, s.version AS Version, s.security_version AS SecurityVersion FROM devices d " +
            "LEFT JOIN device_software s ON s.device_id = d.id WHERE d.state = 'active' AND d.id > @after ORDER BY d.id LIMIT " + limit +
            ") p LEFT JOIN device_tags t ON t.device_id = p.Id ORDER BY p.Id, t.tag",
            new { after = afterId ?? "" }, cancellationToken));
        var facts = new List<DeviceFacts>();
        FactsRow? current = null;
        var tags = new List<string>();
        foreach (var row in rows)
        {
            if (current is null || current.Id != row.Id)
            {
                if (current is not null)
                {
                    facts.Add(current.ToFacts(tags));
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
            facts.Add(current.ToFacts(tags));
        }

        return facts;
    }

    private sealed class SoftwareRow
    {
        public string DeviceId { get; set; } = "";
        public string? ReleaseId { get; set; }
        public string? Version { get; set; }
        public long? SecurityVersion { get; set; }
        public string? Slot { get; set; }
        public string? Health { get; set; }
        public long CheckedInAt { get; set; }
    }

    private sealed class FactsRow
    {
        public string Id { get; set; } = "";
        public string Model { get; set; } = "";
        public string? Version { get; set; }
        public long? SecurityVersion { get; set; }
        public string? Tag { get; set; }

        public DeviceFacts ToFacts(IReadOnlyList<string> tags) => new(Id, Model, tags, Version, SecurityVersion);
    }
}
