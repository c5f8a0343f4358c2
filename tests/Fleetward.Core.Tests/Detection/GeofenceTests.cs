using Fleetward.Core.Detection;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class GeofenceTests
{
    private static readonly GeoPoint Depot = new(52.52, 13.405);

    [Fact]
    public void Haversine_matches_known_distances()
    {
        // One degree of latitude on the mean sphere: 2πR/360.
        Assert.Equal(2 * Math.PI * GeoMath.EarthRadiusMeters / 360, GeoMath.DistanceMeters(new(0, 0), new(1, 0)), 6);
        // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 343.5 km.
        Assert.InRange(GeoMath.DistanceMeters(new(48.8566, 2.3522), new(51.5074, -0.1278)), 343_000, 344_000);
        Assert.Equal(0, GeoMath.DistanceMeters(Depot, Depot));
    }

    [Fact]
    public void Circle_distance_is_signed()
    {
        var fence = new CircleGeofence("depot", Depot, 500);
        Assert.Equal(-500, fence.SignedDistanceMeters(Depot), 6);
        var north1km = new GeoPoint(Depot.Latitude + 1000 / 111_195.08, Depot.Longitude);
        Assert.Equal(500, fence.SignedDistanceMeters(north1km), 0);
    }

    [Theory]
    [InlineData(179.99, -179.99, 0.02)]
    [InlineData(-179.99, 179.99, -0.02)]
    [InlineData(10, 20, 10)]
    [InlineData(0, 180, -180)]
    [InlineData(-170, 10, -180)]
    public void Longitude_delta_goes_the_short_way_round(double from, double to, double expected) =>
        Assert.Equal(expected, GeoMath.LongitudeDelta(from, to), 9);

    [Fact]
    public void A_polygon_spanning_the_antimeridian_measures_across_it()
    {
        // About 2.2 km square on the equator, from 179.99°E across 180° to 179.99°W.
        var square = new PolygonGeofence("dateline", [new(-0.01, 179.99), new(0.01, 179.99), new(0.01, -179.99), new(-0.01, -179.99)]);
        var metresPerDegree = 2 * Math.PI * GeoMath.EarthRadiusMeters / 360;
        // Inside on either side of 180°, 0.005° from the nearer meridian edge.
        Assert.Equal(-0.005 * metresPerDegree, square.SignedDistanceMeters(new(0, 179.995)), 0);
        Assert.Equal(-0.005 * metresPerDegree, square.SignedDistanceMeters(new(0, -179.995)), 0);
        Assert.Equal(-0.01 * metresPerDegree, square.SignedDistanceMeters(new(0, 180)), 0);
        // Outside, 0.01° beyond either edge.
        Assert.Equal(0.01 * metresPerDegree, square.SignedDistanceMeters(new(0, 179.98)), 0);
        Assert.Equal(0.01 * metresPerDegree, square.SignedDistanceMeters(new(0, -179.98)), 0);
    }

    [Fact]
    public void Polygon_inside_and_outside_with_distance_to_the_nearest_edge()
    {
        // A square about 1.1 km on each side.
        var square = new PolygonGeofence("yard", [new(52.50, 13.40), new(52.51, 13.40), new(52.51, 13.4164), new(52.50, 13.4164)]);
        var centre = new GeoPoint(52.505, 13.4082);
        Assert.True(square.SignedDistanceMeters(centre) < -500);
        var south = new GeoPoint(52.50 - 200 / 111_195.08, 13.4082);
        Assert.Equal(200, square.SignedDistanceMeters(south), 0);
        var justInside = new GeoPoint(52.50 + 10 / 111_195.08, 13.4082);
        Assert.Equal(-10, square.SignedDistanceMeters(justInside), 0);
    }

    [Fact]
    public void Concave_polygon_notch_is_outside()
    {
        // A U shape: the notch between the arms is outside.
        var u = new PolygonGeofence("u", [new(0, 0), new(0, 0.03), new(0.03, 0.03), new(0.03, 0.02), new(0.01, 0.02), new(0.01, 0.01), new(0.03, 0.01), new(0.03, 0)]);
        Assert.True(u.SignedDistanceMeters(new(0.02, 0.015)) > 0);
        Assert.True(u.SignedDistanceMeters(new(0.02, 0.005)) < 0);
    }

    [Fact]
    public void Detector_needs_consecutive_fixes_outside_by_more_than_their_accuracy()
    {
        var profile = new DeviceProfile("rover-x", [new CircleGeofence("depot", Depot, 100)]);
        var detector = new GeofenceDetector(datapointsToAlarm: 2, datapointsToClear: 1);
        var state = detector.CreateState();
        var at130m = Depot.Latitude + 130 / 111_195.08;

        // 30 m outside but the fix is only good to 50 m: not an exit.
        Assert.Empty(Run(detector, state, Sample(At(0).WithGps(at130m, Depot.Longitude, accuracy: 50), profile)).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1).WithGps(at130m, Depot.Longitude, accuracy: 50), profile)).Detections);
        Assert.Empty(Run(detector, state, Sample(At(2).WithGps(at130m, Depot.Longitude, accuracy: 5), profile)).Detections);
        var d = Assert.Single(Run(detector, state, Sample(At(3).WithGps(at130m, Depot.Longitude, accuracy: 5), profile)).Detections);
        Assert.Equal(DetectionCauses.GeofenceExit, d.Cause);
        Assert.Equal(T0.AddMinutes(2), d.FirstAnomalousAt);
        Assert.Single(Run(detector, state, Sample(At(4).WithGps(Depot.Latitude, Depot.Longitude), profile)).Clears);
    }

    [Fact]
    public void Detector_ignores_devices_without_fences_or_fixes()
    {
        var detector = new GeofenceDetector(1, 1);
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0).WithGps(0, 0))).Detections);
        Assert.Empty(Run(detector, state, Sample(At(1), new DeviceProfile("m", [new CircleGeofence("d", Depot, 1)]))).Detections);
    }
}
