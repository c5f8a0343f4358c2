namespace Fleetward.Core.Detection;

/// <summary>A WGS 84 position in degrees.</summary>
public readonly record struct GeoPoint(double Latitude, double Longitude);

/// <summary>Great-circle geometry on a spherical Earth: accurate to about 0.5 %, far below GPS noise at fence scale.</summary>
public static class GeoMath
{
    /// <summary>Mean Earth radius (IUGG), metres.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Haversine distance in metres.</summary>
    public static double DistanceMeters(GeoPoint a, GeoPoint b)
    {
        var lat1 = Radians(a.Latitude);
        var lat2 = Radians(b.Latitude);
        var dLat = lat2 - lat1;
        var dLon = Radians(b.Longitude - a.Longitude);
        var h = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>
    /// Degrees east from <paramref name="from"/> to <paramref name="to"/>, wrapped into [-180, 180): the short way
    /// round, so two points either side of the antimeridian are close, not 360° apart.
    /// </summary>
    public static double LongitudeDelta(double from, double to)
    {
        var delta = to - from;
        return delta - 360 * Math.Floor((delta + 180) / 360);
    }

    internal static double Radians(double degrees) => degrees * Math.PI / 180;
}

/// <summary>An area a device must stay in. Distances are signed: negative inside, positive outside the boundary.</summary>
public abstract record Geofence(string Name)
{
    /// <summary>Metres from the boundary: negative inside, positive outside.</summary>
    public abstract double SignedDistanceMeters(GeoPoint point);
}

/// <summary>A radius around a point: the usual fence for a depot or a fixed installation.</summary>
public sealed record CircleGeofence : Geofence
{
    public CircleGeofence(string name, GeoPoint center, double radiusMeters) : base(name)
    {
        if (!(radiusMeters > 0)) throw new ArgumentOutOfRangeException(nameof(radiusMeters), "Radius must be positive.");
        Center = center;
        RadiusMeters = radiusMeters;
    }

    public GeoPoint Center { get; }
    public double RadiusMeters { get; }

    public override double SignedDistanceMeters(GeoPoint point) => GeoMath.DistanceMeters(Center, point) - RadiusMeters;
}

/// <summary>
/// A simple polygon (no self-intersections, not around a pole), small enough that a local equirectangular
/// projection around the tested point is accurate: fences are site-sized, not continent-sized. Longitudes are taken
/// relative to the tested point the short way round, so a polygon may span the antimeridian.
/// </summary>
public sealed record PolygonGeofence : Geofence
{
    public PolygonGeofence(string name, IReadOnlyList<GeoPoint> vertices) : base(name)
    {
        if (vertices.Count < 3) throw new ArgumentException("A polygon needs at least three vertices.", nameof(vertices));
        Vertices = vertices;
    }

    public IReadOnlyList<GeoPoint> Vertices { get; }

    public override double SignedDistanceMeters(GeoPoint point)
    {
        // Project to metres on the plane tangent at the point: x east, y north.
        var cosLat = Math.Cos(GeoMath.Radians(point.Latitude));
        Span<(double X, double Y)> v = Vertices.Count <= 64 ? stackalloc (double, double)[Vertices.Count] : new (double, double)[Vertices.Count];
        for (var i = 0; i < Vertices.Count; i++)
        {
            v[i] = (GeoMath.Radians(GeoMath.LongitudeDelta(point.Longitude, Vertices[i].Longitude)) * cosLat * GeoMath.EarthRadiusMeters,
                    GeoMath.Radians(Vertices[i].Latitude - point.Latitude) * GeoMath.EarthRadiusMeters);
        }
        var inside = false;
        var nearest = double.MaxValue;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
        {
            var (xi, yi) = v[i];
            var (xj, yj) = v[j];
            // Ray casting from the origin (the point) along +x.
            if ((yi > 0) != (yj > 0) && 0 < (xj - xi) * (0 - yi) / (yj - yi) + xi) inside = !inside;
            nearest = Math.Min(nearest, DistanceToSegment(xi, yi, xj, yj));
        }
        return inside ? -nearest : nearest;
    }

    private static double DistanceToSegment(double x1, double y1, double x2, double y2)
    {
        var dx = x2 - x1;
        var dy = y2 - y1;
        var lengthSquared = dx * dx + dy * dy;
        var t = lengthSquared == 0 ? 0 : Math.Clamp(-(x1 * dx + y1 * dy) / lengthSquared, 0, 1);
        var px = x1 + t * dx;
        var py = y1 + t * dy;
        return Math.Sqrt(px * px + py * py);
    }
}
