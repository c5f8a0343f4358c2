using Fleetward.Core.Incidents;

namespace Fleetward.Core.Ports;

/// <summary>Filter and page for incident listings, newest first; pass the last id seen as <see cref="BeforeId"/>.</summary>
public sealed record IncidentQuery(
    string? BeforeId = null,
    int Limit = 100,
    IncidentStatus? Status = null,
    bool OpenOnly = false,
    string? DeviceId = null,
    string? Cause = null);

/// <summary>A response carried out for an incident, by whom and when.</summary>
public sealed record IncidentActionRecord(string IncidentId, ResponseAction Action, DateTimeOffset TakenAt, string Actor);

/// <summary>
/// Incidents with their timeline and the responses taken. At most one incident per (device, cause) is open: storage
/// enforces it with a unique index, so two racing ingests cannot open two.
/// </summary>
public interface IIncidentRepository
{
    /// <summary>Incident ids sort by creation time, so listing by id is listing by age.</summary>
    Task InsertAsync(Incident incident, CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored incident of the same id; false when there is none.</summary>
    Task<bool> UpdateAsync(Incident incident, CancellationToken cancellationToken = default);

    Task<Incident?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The open incident of (device, cause) with the actions already taken for it, or null.</summary>
    Task<OpenIncidentRecord?> FindOpenAsync(string deviceId, string cause, CancellationToken cancellationToken = default);

    /// <summary>Open incidents of a device, newest first (an operator action without an incident id applies to the newest).</summary>
    Task<IReadOnlyList<Incident>> ListOpenForDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken = default);

    Task RecordActionAsync(IncidentActionRecord action, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IncidentActionRecord>> ListActionsAsync(string incidentId, CancellationToken cancellationToken = default);
}

/// <summary>
/// SIEM events waiting for delivery, one row per (sink, event), written in the same unit of work as the change they
/// report; exporters delete a row once the receiver accepted it, so events survive restarts and outages.
/// </summary>
public interface IIncidentSiemOutbox
{
    Task EnqueueAsync(string sink, string eventJson, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> events of the sink due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<SiemOutboxEntry>> ListDueAsync(string sink, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    Task DeleteAsync(long id, CancellationToken cancellationToken = default);

    Task RescheduleAsync(long id, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default);

    Task<long> CountAsync(string sink, CancellationToken cancellationToken = default);
}

/// <summary>One queued SIEM event.</summary>
public sealed record SiemOutboxEntry(long Id, string Sink, string EventJson, DateTimeOffset CreatedAt, int Attempts, DateTimeOffset NextAttemptAt, string? LastError);
