using Fleetward.Core.Detection;

namespace Fleetward.Storage.Tests.Detection;

/// <summary>Geofence sets per model and per device, on both engines: round trip, replace, effective set, delete.</summary>
public abstract class GeofenceStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);

    private static readonly Geofence Depot = new CircleGeofence("depot", new GeoPoint(52.520008, 13.404954), 250.5);

    private static readonly Geofence Field = new PolygonGeofence("field",
        [new GeoPoint(52.5, 13.4), new GeoPoint(52.5, 13.41), new GeoPoint(52.51, 13.41), new GeoPoint(52.51, 13.4)]);

    private async Task SaveAsync(params GeofenceSet[] sets)
    {
        await using var work = await Store.BeginAsync();
        foreach (var set in sets)
        {
            await work.Geofences.UpsertAsync(set);
        }
        await work.CommitAsync();
    }

    [Fact]
    public async Task A_set_round_trips_circles_and_polygons_exactly()
    {
        await SaveAsync(new GeofenceSet(GeofenceScope.Model, "mower", [Depot, Field], T0, "token:op"));

        await using var read = await Store.ReadAsync();
        var set = await read.Geofences.GetAsync(GeofenceScope.Model, "mower");
        Assert.NotNull(set);
        Assert.Equal(T0, set.UpdatedAt);
        Assert.Equal("token:op", set.UpdatedBy);
        var circle = Assert.IsType<CircleGeofence>(set.Areas[0]);
        Assert.Equal(("depot", 52.520008, 13.404954, 250.5), (circle.Name, circle.Center.Latitude, circle.Center.Longitude, circle.RadiusMeters));
        var polygon = Assert.IsType<PolygonGeofence>(set.Areas[1]);
        Assert.Equal(((PolygonGeofence)Field).Vertices, polygon.Vertices);
        Assert.Null(await read.Geofences.GetAsync(GeofenceScope.Device, "mower"));
    }

    [Fact]
    public async Task Upsert_replaces_the_subject_set_and_delete_removes_it()
    {
        await SaveAsync(new GeofenceSet(GeofenceScope.Device, "robot-1", [Depot], T0, "a"));
        await SaveAsync(new GeofenceSet(GeofenceScope.Device, "robot-1", [Field], T0.AddHours(1), "b"));
        await using (var read = await Store.ReadAsync())
        {
            var set = await read.Geofences.GetAsync(GeofenceScope.Device, "robot-1");
            Assert.Equal("field", Assert.Single(set!.Areas).Name);
            Assert.Equal("b", set.UpdatedBy);
        }
        await using (var work = await Store.BeginAsync())
        {
            Assert.True(await work.Geofences.DeleteAsync(GeofenceScope.Device, "robot-1"));
            Assert.False(await work.Geofences.DeleteAsync(GeofenceScope.Device, "robot-1"));
            await work.CommitAsync();
        }
        await using var after = await Store.ReadAsync();
        Assert.Null(await after.Geofences.GetAsync(GeofenceScope.Device, "robot-1"));
    }

    [Fact]
    public async Task Effective_fences_are_the_device_set_else_the_model_set_else_none()
    {
        await SaveAsync(
            new GeofenceSet(GeofenceScope.Model, "mower", [Depot], T0, "op"),
            new GeofenceSet(GeofenceScope.Device, "robot-2", [Field], T0, "op"),
            new GeofenceSet(GeofenceScope.Device, "mower", [Field], T0, "op"));

        await using var read = await Store.ReadAsync();
        Assert.Equal("field", Assert.Single(await read.Geofences.GetEffectiveAsync("robot-2", "mower")).Name);
        Assert.Equal("depot", Assert.Single(await read.Geofences.GetEffectiveAsync("robot-1", "mower")).Name);
        Assert.Empty(await read.Geofences.GetEffectiveAsync("robot-1", "drone"));
        var all = await read.Geofences.ListAsync();
        Assert.Equal(["model:mower", "device:mower", "device:robot-2"], all.Select(s => $"{s.Scope.ToName()}:{s.Subject}"));
    }
}

public sealed class SqliteGeofenceStoreContract() : GeofenceStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresGeofenceStoreContract() : GeofenceStoreContract(new PostgresTestStoreFactory());
