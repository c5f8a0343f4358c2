using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fleetward.Core.Audit;
using Fleetward.Core.Detection;
using Fleetward.Core.Ports;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Geofences;

/// <summary>Body of PUT /api/v1/geofences/models/{model} and /devices/{id}: the whole set of areas, replacing any before.</summary>
public sealed record GeofenceSetRequest(IReadOnlyList<GeofenceAreaInput?>? Areas);

/// <summary>One area as the API shows it: exactly one of <see cref="Circle"/> or <see cref="Polygon"/> is set.</summary>
public sealed record GeofenceAreaView(string Name, GeoCircleInput? Circle, IReadOnlyList<GeoPointInput>? Polygon);

public sealed record GeofenceSetView(string Scope, string Subject, IReadOnlyList<GeofenceAreaView> Areas, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public static GeofenceSetView From(GeofenceSet set) => new(set.Scope.ToName(), set.Subject, AreasOf(set.Areas), set.UpdatedAt, set.UpdatedBy);

    /// <summary>The areas with their full geometry, in the shape the API accepts.</summary>
    public static IReadOnlyList<GeofenceAreaView> AreasOf(IEnumerable<Geofence> areas) =>
        [.. areas.Select(a => a switch
        {
            CircleGeofence c => new GeofenceAreaView(c.Name, new GeoCircleInput(c.Center.Latitude, c.Center.Longitude, c.RadiusMeters), null),
            PolygonGeofence p => new GeofenceAreaView(p.Name, null, [.. p.Vertices.Select(v => new GeoPointInput(v.Latitude, v.Longitude))]),
            _ => throw new InvalidOperationException($"unknown geofence type {a.GetType().Name}"),
        })];
}

public sealed record GeofenceList(IReadOnlyList<GeofenceSetView> Items);

/// <summary>
/// Operator configuration of geofences per device model and per device. A device's own set replaces its model's
/// (<see cref="GeofenceSet.Effective"/>); ingest scoring reads the effective set for every batch, so a change applies
/// to the next report. Every change commits with its audit record.
/// </summary>
public sealed partial class GeofenceService(IFleetStore store, TimeProvider time)
{
    public async Task<GeofenceSetView> SetAsync(GeofenceScope scope, string subject, GeofenceSetRequest? request, string actor, CancellationToken cancellationToken)
    {
        var (areas, error) = GeofenceValidator.Validate(request?.Areas);
        if (error is not null)
        {
            throw ProblemException.Validation(error.Field, error.Message);
        }
        await using var work = await store.BeginAsync(cancellationToken);
        await CheckSubjectAsync(work, scope, subject, cancellationToken);
        var now = time.GetUtcNow();
        var set = new GeofenceSet(scope, subject, areas!, now, actor);
        await work.Geofences.UpsertAsync(set, cancellationToken);
        await work.Audit.AppendAsync(new AuditEvent("geofence.set", now, actor, Subject(scope, subject), AuditPayload(areas!)), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return GeofenceSetView.From(set);
    }

    public async Task<GeofenceSetView> GetAsync(GeofenceScope scope, string subject, CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        var set = await read.Geofences.GetAsync(scope, subject, cancellationToken) ?? throw NotConfigured(scope, subject);
        return GeofenceSetView.From(set);
    }

    public async Task<GeofenceList> ListAsync(CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        return new GeofenceList([.. (await read.Geofences.ListAsync(cancellationToken)).Select(GeofenceSetView.From)]);
    }

    public async Task RemoveAsync(GeofenceScope scope, string subject, string actor, CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var removed = await work.Geofences.GetAsync(scope, subject, cancellationToken);
        if (removed is null || !await work.Geofences.DeleteAsync(scope, subject, cancellationToken))
        {
            throw NotConfigured(scope, subject);
        }
        await work.Audit.AppendAsync(new AuditEvent("geofence.removed", time.GetUtcNow(), actor, Subject(scope, subject), AuditPayload(removed.Areas)), cancellationToken);
        await work.CommitAsync(cancellationToken);
    }

    private static async Task CheckSubjectAsync(IFleetUnitOfWork work, GeofenceScope scope, string subject, CancellationToken cancellationToken)
    {
        if (scope == GeofenceScope.Model)
        {
            if (!ModelPattern().IsMatch(subject))
            {
                throw ProblemException.Validation("model", $"model must be 1 to 64 characters of letters, digits, '.', '_' or '-'; got '{subject}'.");
            }
            return;
        }
        if (await work.Devices.GetAsync(subject, cancellationToken) is null)
        {
            throw ProblemException.NotFound($"No device with id '{subject}'.");
        }
    }

    private static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// The whole set of areas with every coordinate and radius, in the API's request shape: the tamper-evident log alone
    /// then shows what each fence was, and the records of one subject in order show how it moved. A removal records
    /// the areas it removed.
    /// </summary>
    private static string AuditPayload(IEnumerable<Geofence> areas) => JsonSerializer.Serialize(new { areas = GeofenceSetView.AreasOf(areas) }, AuditJson);

    private static string Subject(GeofenceScope scope, string subject) => $"geofence:{scope.ToName()}:{subject}";

    private static ProblemException NotConfigured(GeofenceScope scope, string subject) =>
        ProblemException.NotFound($"No geofences are configured for {scope.ToName()} '{subject}'.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ModelPattern();
}
