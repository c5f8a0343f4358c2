using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Tests.Geofences;

/// <summary>The geofence operator API on the wire, its audit trail, and ingest scoring against the configured fences.</summary>
public sealed class GeofenceApiTests : IAsyncLifetime
{
    private const string Depot = """
        { "areas": [
            { "name": "depot", "circle": { "latitude": 52.52, "longitude": 13.405, "radiusMeters": 200 } },
            { "name": "field", "polygon": [ { "latitude": 52.50, "longitude": 13.40 }, { "latitude": 52.50, "longitude": 13.41 }, { "latitude": 52.51, "longitude": 13.41 } ] }
        ] }
        """;

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(services: s => s.AddSingleton(new DetectionServerOptions { RateLimit = new TelemetryRateLimit(1000, 1000) }));
        await using var work = await _server.Store.BeginAsync();
        foreach (var id in new[] { "rover-1", "rover-2" })
        {
            await work.Devices.InsertAsync(new Device(id, "mower", null, [], DeviceLifecycleState.Active, _server.Clock.GetUtcNow(), null, null));
        }
        await work.CommitAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private HttpClient Operator => _server.OperatorClient(OperatorRole.Operator);

    [Fact]
    public async Task Operator_sets_reads_lists_and_removes_a_model_set_and_each_change_is_audited()
    {
        var put = await Operator.PutAsync("/api/v1/geofences/models/mower", Json(Depot));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var auditor = _server.OperatorClient(OperatorRole.Auditor);
        var read = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/geofences/models/mower");
        Assert.Equal("model", read.GetProperty("scope").GetString());
        Assert.Equal(200, read.GetProperty("areas")[0].GetProperty("circle").GetProperty("radiusMeters").GetDouble());
        Assert.Equal(3, read.GetProperty("areas")[1].GetProperty("polygon").GetArrayLength());
        Assert.StartsWith("token:", read.GetProperty("updatedBy").GetString());
        var list = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/geofences");
        Assert.Equal("mower", list.GetProperty("items")[0].GetProperty("subject").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Operator.DeleteAsync("/api/v1/geofences/models/mower")).StatusCode);
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/geofences/models/mower"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await Operator.DeleteAsync("/api/v1/geofences/models/mower"), HttpStatusCode.NotFound, "not-found");

        var audit = await _server.AuditEntriesAsync();
        Assert.Single(audit, e => e.Type == "geofence.set" && e.Subject == "geofence:model:mower" && e.Payload.Contains("\"polygon\":[{\"latitude\":52.5,"));
        Assert.Single(audit, e => e.Type == "geofence.removed" && e.Subject == "geofence:model:mower");
    }

    [Fact]
    public async Task The_audit_trail_records_each_fence_geometry_so_a_moved_fence_shows_where_it_was_and_where_it_went()
    {
        Assert.Equal(HttpStatusCode.OK, (await Operator.PutAsync("/api/v1/geofences/models/mower", Json(Depot))).StatusCode);
        var moved = Depot.Replace("\"latitude\": 52.52, \"longitude\": 13.405, \"radiusMeters\": 200", "\"latitude\": 48.1, \"longitude\": 11.6, \"radiusMeters\": 5000");
        Assert.Equal(HttpStatusCode.OK, (await Operator.PutAsync("/api/v1/geofences/models/mower", Json(moved))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator.DeleteAsync("/api/v1/geofences/models/mower")).StatusCode);

        var records = (await _server.AuditEntriesAsync()).Where(e => e.Subject == "geofence:model:mower").ToList();
        Assert.Equal(["geofence.set", "geofence.set", "geofence.removed"], records.Select(r => r.Type));
        static JsonElement Areas(string payload) => JsonDocument.Parse(payload).RootElement.GetProperty("areas");
        static (double, double, double) Circle(JsonElement areas)
        {
            var circle = areas[0].GetProperty("circle");
            return (circle.GetProperty("latitude").GetDouble(), circle.GetProperty("longitude").GetDouble(), circle.GetProperty("radiusMeters").GetDouble());
        }
        var first = Areas(records[0].Payload);
        Assert.Equal("depot", first[0].GetProperty("name").GetString());
        Assert.Equal((52.52, 13.405, 200d), Circle(first));
        Assert.Equal(
            [(52.50, 13.40), (52.50, 13.41), (52.51, 13.41)],
            first[1].GetProperty("polygon").EnumerateArray().Select(v => (v.GetProperty("latitude").GetDouble(), v.GetProperty("longitude").GetDouble())));
        Assert.Equal((48.1, 11.6, 5000d), Circle(Areas(records[1].Payload)));
        // The removal keeps what was removed.
        Assert.Equal((48.1, 11.6, 5000d), Circle(Areas(records[2].Payload)));
        Assert.Equal(3, Areas(records[2].Payload)[1].GetProperty("polygon").GetArrayLength());
    }

    [Fact]
    public async Task The_largest_set_the_api_accepts_still_fits_in_one_audit_record()
    {
        // 32 polygons of 500 vertices, every coordinate with 17 significant digits (the longest numbers JSON gets).
        var polygon = string.Join(",", Enumerable.Range(0, GeofenceValidator.MaxVertices).Select(i =>
        {
            var angle = 2 * Math.PI * i / GeofenceValidator.MaxVertices;
            var latitude = -84.9 + 500 * Math.Sin(angle) / 111_195.08;
            var longitude = -179.9 + 500 * Math.Cos(angle) / (111_195.08 * Math.Cos(-84.9 * Math.PI / 180));
            return FormattableString.Invariant($"{{\"latitude\":{latitude:R},\"longitude\":{longitude:R}}}");
        }));
        var body = "{\"areas\":[" + string.Join(",", Enumerable.Range(0, GeofenceValidator.MaxAreas).Select(i => $"{{\"name\":\"area-{i}\",\"polygon\":[{polygon}]}}")) + "]}";

        Assert.Equal(HttpStatusCode.OK, (await Operator.PutAsync("/api/v1/geofences/models/mower", Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator.DeleteAsync("/api/v1/geofences/models/mower")).StatusCode);
        var removed = (await _server.AuditEntriesAsync()).Single(e => e.Type == "geofence.removed");
        Assert.Equal(GeofenceValidator.MaxAreas, JsonDocument.Parse(removed.Payload).RootElement.GetProperty("areas").GetArrayLength());
    }

    [Theory]
    [InlineData("\"radiusMeters\": 200", "\"radiusMeters\": -5", "$.areas[0].circle.radiusMeters")]
    [InlineData("\"latitude\": 52.52", "\"latitude\": 95", "$.areas[0].circle.latitude")]
    [InlineData("{ \"latitude\": 52.51, \"longitude\": 13.41 }", "{ \"latitude\": 52.51, \"longitude\": 190 }", "$.areas[1].polygon[2].longitude")]
    [InlineData("\"name\": \"field\"", "\"name\": \"depot\"", "$.areas[1].name")]
    [InlineData("\"radiusMeters\": 200 }", "\"radiusMeters\": 200, \"colour\": 1 }", "$.areas[0].circle.colour")]
    public async Task Invalid_sets_are_problems_naming_the_field(string find, string replace, string field)
    {
        Assert.Contains(find, Depot);
        var problem = await ProblemAssert.IsProblemAsync(
            await Operator.PutAsync("/api/v1/geofences/models/mower", Json(Depot.Replace(find, replace, StringComparison.Ordinal))), HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Roles_and_subjects_are_checked()
    {
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient(OperatorRole.Auditor).PutAsync("/api/v1/geofences/models/mower", Json(Depot)), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await Operator.PutAsync("/api/v1/geofences/devices/ghost", Json(Depot)), HttpStatusCode.NotFound, "not-found");
        var model = await ProblemAssert.IsProblemAsync(await Operator.PutAsync("/api/v1/geofences/models/bad%20model", Json(Depot)), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("model", model.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Ingest_scores_positions_against_the_device_set_else_the_model_set()
    {
        Assert.Equal(HttpStatusCode.OK, (await Operator.PutAsync("/api/v1/geofences/models/mower", Json(Depot))).StatusCode);
        // rover-2 works at another site, 3 km east: its own fence replaces the model's.
        var site = """{ "areas": [ { "name": "east-site", "circle": { "latitude": 52.52, "longitude": 13.449, "radiusMeters": 300 } } ] }""";
        Assert.Equal(HttpStatusCode.OK, (await Operator.PutAsync("/api/v1/geofences/devices/rover-2", Json(site))).StatusCode);

        var ingest = _server.Server.Services.GetRequiredService<TelemetryIngestService>();
        var inside = await IngestAsync(ingest, "rover-1", 1, 52.5201, 13.4051);
        Assert.DoesNotContain(inside.IncidentsOpened, i => i.Cause == DetectionCauses.GeofenceExit);

        var outside = await IngestAsync(ingest, "rover-1", 10, 52.52, 13.449);
        Assert.Contains(outside.IncidentsOpened, i => i.Cause == DetectionCauses.GeofenceExit && i.DeviceId == "rover-1");

        var atItsSite = await IngestAsync(ingest, "rover-2", 1, 52.52, 13.449);
        Assert.DoesNotContain(atItsSite.IncidentsOpened, i => i.Cause == DetectionCauses.GeofenceExit);
    }

    private async Task<TelemetryIngestResult> IngestAsync(TelemetryIngestService ingest, string deviceId, long firstSequence, double latitude, double longitude)
    {
        var now = _server.Clock.GetUtcNow();
        var reports = Enumerable.Range(0, 3).Select(i => new TelemetryReport
        {
            DeviceId = deviceId,
            Sequence = firstSequence + i,
            SampledAt = now.AddMinutes(-3 + i),
            IntervalSeconds = 60,
            CpuPercent = 10,
            MemoryUsedBytes = 100,
            MemoryTotalBytes = 1000,
            Network = new NetworkCounters { BytesIn = 10, BytesOut = 20, PacketsIn = 1, PacketsOut = 2 },
            ProcessCount = 50,
            UptimeSeconds = 3600 + (firstSequence + i) * 60,
            BootCount = 1,
            Sensors = new RobotSensors { Gps = new GpsFix { Latitude = latitude, Longitude = longitude, AccuracyMeters = 5 } },
        }).ToList();
        await using var read = await _server.Store.ReadAsync();
        var device = await read.Devices.GetAsync(deviceId) ?? throw new InvalidOperationException(deviceId);
        var result = await ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = reports }), default);
        Assert.True(result.Accepted, result.Error?.ToString());
        return result;
    }
}
