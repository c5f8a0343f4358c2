using Fleetward.Core.Detection;

namespace Fleetward.Core.Tests.Detection;

public class GeofenceValidatorTests
{
    private static GeoPointInput P(double lat, double lon) => new(lat, lon);

    private static readonly GeoPointInput[] Square = [P(52.50, 13.40), P(52.50, 13.41), P(52.51, 13.41), P(52.51, 13.40)];

    private static GeofenceError Refused(params GeofenceAreaInput?[] areas)
    {
        var (fences, error) = GeofenceValidator.Validate(areas);
        Assert.Null(fences);
        return Assert.IsType<GeofenceError>(error);
    }

    [Fact]
    public void Circle_and_polygon_become_geofences()
    {
        var (fences, error) = GeofenceValidator.Validate([new("depot", new GeoCircleInput(52.52, 13.405, 300)), new("field", Polygon: Square)]);
        Assert.Null(error);
        var circle = Assert.IsType<CircleGeofence>(fences![0]);
        Assert.Equal((new GeoPoint(52.52, 13.405), 300d), (circle.Center, circle.RadiusMeters));
        Assert.Equal(4, Assert.IsType<PolygonGeofence>(fences[1]).Vertices.Count);
    }

    [Fact]
    public void Closed_ring_repeating_the_first_vertex_is_accepted_once()
    {
        var (fences, _) = GeofenceValidator.Validate([new("field", Polygon: [.. Square, Square[0]])]);
        Assert.Equal(4, Assert.IsType<PolygonGeofence>(fences![0]).Vertices.Count);
    }

    [Fact]
    public void No_areas_is_refused() =>
        Assert.Equal("$.areas", GeofenceValidator.Validate([]).Error!.Field);

    [Fact]
    public void Too_many_areas_are_refused() =>
        Assert.Equal("$.areas", Refused([.. Enumerable.Range(0, GeofenceValidator.MaxAreas + 1).Select(i => new GeofenceAreaInput($"a{i}", new GeoCircleInput(1, 1, 10)))]).Field);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bad/name")]
    public void Area_needs_a_plain_name(string? name) =>
        Assert.Equal("$.areas[0].name", Refused(new GeofenceAreaInput(name, new GeoCircleInput(1, 1, 10))).Field);

    [Fact]
    public void Names_are_unique_within_a_set() =>
        Assert.Equal("$.areas[1].name", Refused(new("a", new GeoCircleInput(1, 1, 10)), new("a", new GeoCircleInput(2, 2, 10))).Field);

    [Fact]
    public void Exactly_one_shape_per_area()
    {
        Assert.Equal("$.areas[0]", Refused(new GeofenceAreaInput("a")).Field);
        Assert.Equal("$.areas[0]", Refused(new GeofenceAreaInput("a", new GeoCircleInput(1, 1, 10), Square)).Field);
    }

    [Theory]
    [InlineData(91, 0, 10, "$.areas[0].circle.latitude")]
    [InlineData(double.NaN, 0, 10, "$.areas[0].circle.latitude")]
    [InlineData(0, -180.5, 10, "$.areas[0].circle.longitude")]
    [InlineData(0, 0, 0, "$.areas[0].circle.radiusMeters")]
    [InlineData(0, 0, 100_001, "$.areas[0].circle.radiusMeters")]
    public void Circle_values_outside_their_ranges_are_named(double lat, double lon, double radius, string field) =>
        Assert.Equal(field, Refused(new GeofenceAreaInput("a", new GeoCircleInput(lat, lon, radius))).Field);

    [Fact]
    public void Missing_circle_value_is_named() =>
        Assert.Equal("$.areas[0].circle.radiusMeters", Refused(new GeofenceAreaInput("a", new GeoCircleInput(1, 1))).Field);

    [Fact]
    public void Polygon_needs_three_distinct_vertices()
    {
        Assert.Equal("$.areas[0].polygon", Refused(new GeofenceAreaInput("a", Polygon: [P(1, 1), P(1, 2)])).Field);
        Assert.Equal("$.areas[0].polygon[1]", Refused(new GeofenceAreaInput("a", Polygon: [P(1, 1), P(1, 1), P(1, 2)])).Field);
    }

    [Fact]
    public void Polygon_vertex_out_of_range_is_named() =>
        Assert.Equal("$.areas[0].polygon[2].longitude", Refused(new GeofenceAreaInput("a", Polygon: [P(1, 1), P(1, 1.01), P(1.01, 200)])).Field);

    [Fact]
    public void Self_intersecting_polygon_is_refused()
    {
        // A bow tie: edges 0-1 and 2-3 cross.
        var error = Refused(new GeofenceAreaInput("a", Polygon: [P(52.50, 13.40), P(52.51, 13.41), P(52.50, 13.41), P(52.51, 13.40)]));
        Assert.Equal("$.areas[0].polygon", error.Field);
        Assert.Contains("cross", error.Message);
    }

    [Fact]
    public void Collinear_polygon_is_refused() =>
        Assert.Contains("no area", Refused(new GeofenceAreaInput("a", Polygon: [P(1, 1), P(1, 1.01), P(1, 1.02)])).Message);

    [Fact]
    public void Polygon_across_the_antimeridian_is_refused() =>
        Assert.Contains("antimeridian", Refused(new GeofenceAreaInput("a", Polygon: [P(10, 179.9), P(10, -179.9), P(10.1, -179.9)])).Message);

    [Fact]
    public void Continent_sized_polygon_is_refused() =>
        Assert.Contains("site-sized", Refused(new GeofenceAreaInput("a", Polygon: [P(40, 0), P(40, 5), P(45, 5)])).Message);

    [Fact]
    public void Polygon_near_a_pole_is_refused() =>
        Assert.Equal("$.areas[0].polygon[0].latitude", Refused(new GeofenceAreaInput("a", Polygon: [P(86, 0), P(86, 0.1), P(86.1, 0.1)])).Field);

    [Fact]
    public void Effective_fences_prefer_the_device_set_over_the_model_set()
    {
        var model = new GeofenceSet(GeofenceScope.Model, "mower", [new CircleGeofence("m", new GeoPoint(1, 1), 10)], DateTimeOffset.UnixEpoch, "op");
        var device = new GeofenceSet(GeofenceScope.Device, "robot-1", [new CircleGeofence("d", new GeoPoint(2, 2), 10)], DateTimeOffset.UnixEpoch, "op");
        Assert.Equal("d", GeofenceSet.Effective(device, model)[0].Name);
        Assert.Equal("m", GeofenceSet.Effective(null, model)[0].Name);
        Assert.Empty(GeofenceSet.Effective(null, null));
    }
}
