using System.Text.RegularExpressions;

namespace Fleetward.Core.Detection;

/// <summary>One area as an operator describes it: a name and exactly one of a circle or a polygon, in WGS 84 degrees.</summary>
public sealed record GeofenceAreaInput(string? Name = null, GeoCircleInput? Circle = null, IReadOnlyList<GeoPointInput?>? Polygon = null);

public sealed record GeoCircleInput(double? Latitude = null, double? Longitude = null, double? RadiusMeters = null);

public sealed record GeoPointInput(double? Latitude = null, double? Longitude = null);

/// <summary>Why a geofence description was refused; <see cref="Field"/> is the JSON path of the value at fault.</summary>
public sealed record GeofenceError(string Field, string Message);

/// <summary>
/// Turns operator input into geofences, refusing what the detector cannot measure correctly: coordinates outside
/// WGS 84 ranges, empty or huge circles, polygons that are degenerate, self-intersecting, near a pole, across the
/// antimeridian or larger than a site (the polygon distance uses a local flat projection, see <see cref="PolygonGeofence"/>).
/// </summary>
public static partial class GeofenceValidator
{
    public const int MaxAreas = 32;
    public const int MaxVertices = 500;
    public const int MaxNameLength = 64;
    public const double MaxRadiusMeters = 100_000;
    /// <summary>Largest polygon extent (bounding-box diagonal) for which the flat projection stays well under GPS noise.</summary>
    public const double MaxPolygonExtentMeters = 200_000;
    public const double MaxPolygonLatitude = 85;

    /// <summary>The geofences, or the first error found.</summary>
    public static (IReadOnlyList<Geofence>? Areas, GeofenceError? Error) Validate(IReadOnlyList<GeofenceAreaInput?>? areas, string path = "$.areas")
    {
        if (areas is null || areas.Count == 0)
            return Fail(path, $"at least one area is required (at most {MaxAreas}).");
        if (areas.Count > MaxAreas)
            return Fail(path, $"at most {MaxAreas} areas; got {areas.Count}.");
        var result = new List<Geofence>(areas.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < areas.Count; i++)
        {
            var at = $"{path}[{i}]";
            var area = areas[i];
            if (area is null)
                return Fail(at, "must be an object with a name and a circle or a polygon.");
            if (string.IsNullOrWhiteSpace(area.Name) || area.Name.Length > MaxNameLength || !NamePattern().IsMatch(area.Name))
                return Fail(at + ".name", $"name must be 1 to {MaxNameLength} characters of letters, digits, space, '.', '_' or '-'; got '{area.Name}'.");
            if (!names.Add(area.Name))
                return Fail(at + ".name", $"name '{area.Name}' is used by another area of this set.");
            if ((area.Circle is null) == (area.Polygon is null))
                return Fail(at, "give exactly one of circle or polygon.");
            var (fence, error) = area.Circle is { } circle ? Circle(area.Name, circle, at + ".circle") : Polygon(area.Name, area.Polygon!, at + ".polygon");
            if (error is not null)
                return (null, error);
            result.Add(fence!);
        }
        return (result, null);
    }

    private static (Geofence?, GeofenceError?) Circle(string name, GeoCircleInput circle, string at)
    {
        var (center, error) = Point(circle.Latitude, circle.Longitude, at);
        if (error is not null)
            return (null, error);
        if (circle.RadiusMeters is not { } radius || !double.IsFinite(radius) || radius <= 0 || radius > MaxRadiusMeters)
            return (null, new GeofenceError(at + ".radiusMeters", $"radiusMeters must be more than 0 and at most {MaxRadiusMeters:0}; got {circle.RadiusMeters?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}."));
        return (new CircleGeofence(name, center, radius), null);
    }

    private static (Geofence?, GeofenceError?) Polygon(string name, IReadOnlyList<GeoPointInput?> vertices, string at)
    {
        if (vertices.Count < 3 || vertices.Count > MaxVertices)
            return (null, new GeofenceError(at, $"a polygon needs 3 to {MaxVertices} vertices; got {vertices.Count}."));
        var points = new List<GeoPoint>(vertices.Count);
        for (var i = 0; i < vertices.Count; i++)
        {
            var vertex = vertices[i];
            if (vertex is null)
                return (null, new GeofenceError($"{at}[{i}]", "must be an object with latitude and longitude."));
            var (point, error) = Point(vertex.Latitude, vertex.Longitude, $"{at}[{i}]");
            if (error is not null)
                return (null, error);
            if (Math.Abs(point.Latitude) > MaxPolygonLatitude)
                return (null, new GeofenceError($"{at}[{i}].latitude", $"polygons must stay within ±{MaxPolygonLatitude} degrees of latitude (use a circle near a pole)."));
            if (i > 0 && point == points[^1])
                return (null, new GeofenceError($"{at}[{i}]", "repeats the previous vertex."));
            points.Add(point);
        }
        if (points[^1] == points[0])
            points.RemoveAt(points.Count - 1); // a closed ring (GeoJSON style) repeats the first vertex: accept it once
        if (points.Count < 3)
            return (null, new GeofenceError(at, "a polygon needs at least 3 distinct vertices."));

        var minLat = points.Min(p => p.Latitude);
        var maxLat = points.Max(p => p.Latitude);
        var minLon = points.Min(p => p.Longitude);
        var maxLon = points.Max(p => p.Longitude);
        if (maxLon - minLon > 180)
            return (null, new GeofenceError(at, "the polygon crosses the antimeridian; split it into two areas."));
        var extent = GeoMath.DistanceMeters(new GeoPoint(minLat, minLon), new GeoPoint(maxLat, maxLon));
        if (extent > MaxPolygonExtentMeters)
            return (null, new GeofenceError(at, $"the polygon spans {extent / 1000:0} km; at most {MaxPolygonExtentMeters / 1000:0} km (fences are site-sized)."));

        // A simple polygon only (refuse rather than guess which side is inside): no two non-adjacent edges meet.
        var projected = Project(points);
        var n = projected.Length;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var adjacent = j == i + 1 || (i == 0 && j == n - 1);
                if (!adjacent && SegmentsIntersect(projected[i], projected[(i + 1) % n], projected[j], projected[(j + 1) % n]))
                    return (null, new GeofenceError(at, $"edges {i}-{(i + 1) % n} and {j}-{(j + 1) % n} cross: the polygon must not intersect itself."));
            }
        }
        if (Math.Abs(Area(projected)) < 1)
            return (null, new GeofenceError(at, "the polygon encloses no area (its vertices lie on a line)."));
        return (new PolygonGeofence(name, points), null);
    }

    private static (GeoPoint, GeofenceError?) Point(double? latitude, double? longitude, string at)
    {
        if (latitude is not { } lat || !double.IsFinite(lat) || lat is < -90 or > 90)
            return (default, new GeofenceError(at + ".latitude", "latitude must be a number of degrees from -90 to 90."));
        if (longitude is not { } lon || !double.IsFinite(lon) || lon is < -180 or > 180)
            return (default, new GeofenceError(at + ".longitude", "longitude must be a number of degrees from -180 to 180."));
        return (new GeoPoint(lat, lon), null);
    }

    /// <summary>Metres east and north of the first vertex on a plane tangent at the polygon's mean latitude.</summary>
    private static (double X, double Y)[] Project(List<GeoPoint> points)
    {
        var cosLat = Math.Cos(GeoMath.Radians(points.Average(p => p.Latitude)));
        var origin = points[0];
        return [.. points.Select(p => (
            GeoMath.Radians(p.Longitude - origin.Longitude) * cosLat * GeoMath.EarthRadiusMeters,
            GeoMath.Radians(p.Latitude - origin.Latitude) * GeoMath.EarthRadiusMeters))];
    }

    private static double Area((double X, double Y)[] v)
    {
        var twice = 0.0;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
            twice += (v[j].X * v[i].Y) - (v[i].X * v[j].Y);
        return twice / 2;
    }

    private static bool SegmentsIntersect((double X, double Y) a, (double X, double Y) b, (double X, double Y) c, (double X, double Y) d)
    {
        var d1 = Cross(c, d, a);
        var d2 = Cross(c, d, b);
        var d3 = Cross(a, b, c);
        var d4 = Cross(a, b, d);
        if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
            return true;
        return (d1 == 0 && OnSegment(c, d, a)) || (d2 == 0 && OnSegment(c, d, b)) || (d3 == 0 && OnSegment(a, b, c)) || (d4 == 0 && OnSegment(a, b, d));
    }

    private static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) =>
        ((a.X - o.X) * (b.Y - o.Y)) - ((a.Y - o.Y) * (b.X - o.X));

    private static bool OnSegment((double X, double Y) p, (double X, double Y) q, (double X, double Y) r) =>
        Math.Min(p.X, q.X) <= r.X && r.X <= Math.Max(p.X, q.X) && Math.Min(p.Y, q.Y) <= r.Y && r.Y <= Math.Max(p.Y, q.Y);

    private static (IReadOnlyList<Geofence>?, GeofenceError?) Fail(string field, string message) => (null, new GeofenceError(field, message));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
    private static partial Regex NamePattern();
}
