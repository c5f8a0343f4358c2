namespace Fleetward.Core.Policy;

/// <summary>The device's last reported position (WGS 84 degrees), supplied to the gate as evidence.</summary>
public sealed record LocationEvidence(double Latitude, double Longitude, DateTimeOffset ReportedAt);

/// <summary>A circular area: centre in WGS 84 degrees, radius in metres.</summary>
public sealed record GeoCircle(double Latitude, double Longitude, double RadiusMeters);

/// <summary>
/// Refuses updates to a device that is not inside one of the allowed areas (a robot in the field should not
/// reflash mid-mission), or whose position is unknown or older than <see cref="MaxLocationAge"/>.
/// Distances are great-circle distances on a sphere of the mean Earth radius, accurate to about 0.5%.
/// </summary>
public sealed class GeofenceCondition : IUpdateGateCondition
{
    public const string OutsideCode = "outside-geofence";
    public const string LocationMissingCode = "location-missing";
    public const string LocationStaleCode = "location-stale";

    private const double EarthRadiusMeters = 6_371_008.8;

    private readonly IReadOnlyList<GeoCircle> _areas;

    public GeofenceCondition(IReadOnlyList<GeoCircle> areas, TimeSpan maxLocationAge)
    {
        ArgumentNullException.ThrowIfNull(areas);
        if (areas.Count == 0)
            throw new ArgumentException("at least one area is required", nameof(areas));
        for (var i = 0; i < areas.Count; i++)
        {
            var area = areas[i] ?? throw new ArgumentException($"areas[{i}] is null", nameof(areas));
            if (area.Latitude is < -90 or > 90 || double.IsNaN(area.Latitude))
                throw new ArgumentOutOfRangeException(nameof(areas), $"areas[{i}].latitude must be in [-90, 90]");
            if (area.Longitude is < -180 or > 180 || double.IsNaN(area.Longitude))
                throw new ArgumentOutOfRangeException(nameof(areas), $"areas[{i}].longitude must be in [-180, 180]");
            if (!(area.RadiusMeters > 0) || double.IsInfinity(area.RadiusMeters))
                throw new ArgumentOutOfRangeException(nameof(areas), $"areas[{i}].radiusMeters must be positive");
        }
        if (maxLocationAge <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(maxLocationAge), maxLocationAge, "must be positive");
        _areas = areas.ToArray();
        MaxLocationAge = maxLocationAge;
    }

    public TimeSpan MaxLocationAge { get; }

    public GateRefusal? Evaluate(UpdateGateRequest request)
    {
        var location = request.Evidence.Find<LocationEvidence>();
        if (location is null)
            return new GateRefusal(LocationMissingCode, $"device {request.Device.Id} has reported no position");
        if (request.Now - location.ReportedAt > MaxLocationAge)
            return new GateRefusal(LocationStaleCode, $"device {request.Device.Id} last reported its position at {location.ReportedAt:O}");
        foreach (var area in _areas)
        {
            if (DistanceMeters(area.Latitude, area.Longitude, location.Latitude, location.Longitude) <= area.RadiusMeters)
                return null;
        }
        return new GateRefusal(OutsideCode, $"device {request.Device.Id} at ({location.Latitude:F5}, {location.Longitude:F5}) is outside every allowed area");
    }

    /// <summary>Haversine great-circle distance.</summary>
    public static double DistanceMeters(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180.0;
        var dLat = Radians(latitude2 - latitude1);
        var dLon = Radians(longitude2 - longitude1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
            + Math.Cos(Radians(latitude1)) * Math.Cos(Radians(latitude2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
