using Fleetward.Core.Devices;
using Fleetward.Core.Policy;

namespace Fleetward.Core.Tests.Policy;

public class GeofenceConditionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly GeoCircle Depot = new(52.5200, 13.4050, 500); // Berlin, 500 m

    private static UpdateGateRequest Request(LocationEvidence? location)
    {
        var device = new Device("dev-1", "rover", null, [], DeviceLifecycleState.Active, Now, Now, Now);
        var evidence = location is null ? GateEvidence.None : GateEvidence.None.With(location);
        return new UpdateGateRequest(device, null, Now, evidence);
    }

    private static GeofenceCondition Condition() => new([Depot], TimeSpan.FromMinutes(15));

    [Fact]
    public void Distance_between_known_cities_is_right()
    {
        // Berlin to Paris (48.8566 N, 2.3522 E) is about 878 km.
        Assert.InRange(GeofenceCondition.DistanceMeters(52.5200, 13.4050, 48.8566, 2.3522), 875_000, 881_000);
    }

    [Fact]
    public void Device_inside_an_area_passes()
    {
        Assert.Null(Condition().Evaluate(Request(new LocationEvidence(52.5230, 13.4050, Now.AddMinutes(-1))))); // about 330 m north
    }

    [Fact]
    public void Device_outside_every_area_is_refused()
    {
        var refusal = Condition().Evaluate(Request(new LocationEvidence(52.5300, 13.4050, Now.AddMinutes(-1)))); // about 1.1 km north
        Assert.Equal(GeofenceCondition.OutsideCode, refusal!.Code);
    }

    [Fact]
    public void Unknown_or_stale_position_is_refused()
    {
        Assert.Equal(GeofenceCondition.LocationMissingCode, Condition().Evaluate(Request(null))!.Code);
        Assert.Equal(GeofenceCondition.LocationStaleCode, Condition().Evaluate(Request(new LocationEvidence(52.52, 13.405, Now.AddMinutes(-16))))!.Code);
    }

    [Fact]
    public void Bad_areas_are_refused_naming_the_field()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new GeofenceCondition([Depot, new GeoCircle(91, 0, 10)], TimeSpan.FromMinutes(1)));
        Assert.Contains("areas[1].latitude", ex.Message);
        Assert.Throws<ArgumentException>(() => new GeofenceCondition([], TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Geofence_and_attestation_combine_in_one_policy()
    {
        var policy = new UpdateGatePolicy([new AttestationFreshnessCondition(TimeSpan.FromHours(1)), Condition()]);
        var device = new Device("dev-1", "rover", null, [], DeviceLifecycleState.Active, Now, Now, Now);
        var credential = new DeviceCredential("01", "dev-1", Now.AddDays(-1), Now.AddDays(1), false);
        var evidence = GateEvidence.None
            .With(new AttestationEvidence(Now.AddMinutes(-5)))
            .With(new LocationEvidence(52.5300, 13.4050, Now));
        var decision = policy.Evaluate(new UpdateGateRequest(device, credential, Now, evidence));
        Assert.Equal([GeofenceCondition.OutsideCode], decision.Refusals.Select(r => r.Code));
    }
}
