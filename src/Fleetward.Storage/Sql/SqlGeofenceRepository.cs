using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Fleetward.Core.Detection;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

/// <summary>
/// Geofence sets as one row per subject; the areas are a JSON array of
/// <c>{"name","circle":{"lat","lon","radiusMeters"}}</c> or <c>{"name","polygon":[[lat,lon],...]}</c>.
/// </summary>
internal sealed class SqlGeofenceRepository(SqlSession session) : IGeofenceRepository
{
    private const string Columns = "scope AS Scope, subject AS Subject, areas AS Areas, updated_at AS UpdatedAt, updated_by AS UpdatedBy";

    public Task UpsertAsync(GeofenceSet set, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        return session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO geofences (scope, subject, areas, updated_at, updated_by) VALUES (@Scope, @Subject, @Areas, @UpdatedAt, @UpdatedBy) " +
            "ON CONFLICT (scope, subject) DO UPDATE SET areas = excluded.areas, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            new { Scope = set.Scope.ToName(), set.Subject, Areas = Encode(set.Areas), UpdatedAt = UnixTime.ToMs(set.UpdatedAt), set.UpdatedBy },
            cancellationToken));
    }

    public async Task<GeofenceSet?> GetAsync(GeofenceScope scope, string subject, CancellationToken cancellationToken = default) =>
        (await session.Connection.QuerySingleOrDefaultAsync<Row>(session.Command(
            $"SELECT {Columns} FROM geofences WHERE scope = @scope AND subject = @subject", new { scope = scope.ToName(), subject }, cancellationToken)))?.ToSet();

    public async Task<bool> DeleteAsync(GeofenceScope scope, string subject, CancellationToken cancellationToken = default) =>
        await session.Connection.ExecuteAsync(session.Command(
            "DELETE FROM geofences WHERE scope = @scope AND subject = @subject", new { scope = scope.ToName(), subject }, cancellationToken)) == 1;

    public async Task<IReadOnlyList<GeofenceSet>> ListAsync(CancellationToken cancellationToken = default) =>
        (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM geofences ORDER BY CASE scope WHEN 'model' THEN 0 ELSE 1 END, subject", null, cancellationToken)))
        .Select(r => r.ToSet()).ToList();

    public async Task<IReadOnlyList<Geofence>> GetEffectiveAsync(string deviceId, string model, CancellationToken cancellationToken = default)
    {
        var rows = (await session.Connection.QueryAsync<Row>(session.Command(
            $"SELECT {Columns} FROM geofences WHERE (scope = 'device' AND subject = @deviceId) OR (scope = 'model' AND subject = @model)",
            new { deviceId, model }, cancellationToken))).Select(r => r.ToSet()).ToList();
        return GeofenceSet.Effective(rows.FirstOrDefault(s => s.Scope == GeofenceScope.Device), rows.FirstOrDefault(s => s.Scope == GeofenceScope.Model));
    }

    private static string Encode(IReadOnlyList<Geofence> areas)
    {
        var array = new JsonArray();
        foreach (var area in areas)
        {
            array.Add(area switch
            {
                CircleGeofence c => new JsonObject
                {
                    ["name"] = c.Name,
                    ["circle"] = new JsonObject { ["lat"] = c.Center.Latitude, ["lon"] = c.Center.Longitude, ["radiusMeters"] = c.RadiusMeters },
                },
                PolygonGeofence p => new JsonObject
                {
                    ["name"] = p.Name,
                    ["polygon"] = new JsonArray([.. p.Vertices.Select(v => (JsonNode)new JsonArray(v.Latitude, v.Longitude))]),
                },
                _ => throw new ArgumentException($"cannot store geofence type {area.GetType().Name}", nameof(areas)),
            });
        }
        return array.ToJsonString();
    }

    private static IReadOnlyList<Geofence> Decode(string json)
    {
        var areas = new List<Geofence>();
        foreach (var node in JsonNode.Parse(json)?.AsArray() ?? throw new InvalidDataException("geofences.areas is not a JSON array."))
        {
            var name = (string?)node?["name"] ?? throw new InvalidDataException("geofences.areas holds an area without a name.");
            if (node!["circle"] is JsonObject circle)
            {
                areas.Add(new CircleGeofence(name, new GeoPoint((double)circle["lat"]!, (double)circle["lon"]!), (double)circle["radiusMeters"]!));
            }
            else if (node["polygon"] is JsonArray polygon)
            {
                areas.Add(new PolygonGeofence(name, [.. polygon.Select(v => new GeoPoint((double)v![0]!, (double)v[1]!))]));
            }
            else
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"geofences.areas holds area '{name}' that is neither circle nor polygon."));
            }
        }
        return areas;
    }

    private sealed class Row
    {
        public string Scope { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Areas { get; set; } = "";
        public long UpdatedAt { get; set; }
        public string UpdatedBy { get; set; } = "";

        public GeofenceSet ToSet() => new(
            GeofenceScopeNames.TryParse(Scope, out var scope) ? scope : throw new InvalidDataException($"geofences.scope holds '{Scope}'."),
            Subject, Decode(Areas), UnixTime.FromMs(UpdatedAt), UpdatedBy);
    }
}
