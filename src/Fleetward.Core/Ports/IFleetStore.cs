using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Devices;

namespace Fleetward.Core.Ports;

/// <summary>
/// The one storage port. Every change happens inside a unit of work so that invariants spanning
/// several tables (a state change and its audit record) commit together or not at all.
/// Implemented for SQLite and PostgreSQL in Fleetward.Storage; one contract suite tests both.
/// </summary>
public interface IFleetStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Engine { get; }

    /// <summary>Starts a read-write unit of work (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED with row locks where needed).</summary>
    Task<IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts a read-only unit of work; CommitAsync on it is a no-op.</summary>
    Task<IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>One transaction and the repositories bound to it. Disposing without commit rolls back.</summary>
public interface IFleetUnitOfWork : IAsyncDisposable
{
    IApiTokenRepository Tokens { get; }
    IDeviceRepository Devices { get; }
    IAuditTrail Audit { get; }
    IAuditLogReader AuditLog { get; }
    IAuditLogCheckpointRepository AuditCheckpoints { get; }
    IRolloutRepository Rollouts { get; }
    IRolloutAssignmentRepository Assignments { get; }
    IRolloutDeviceSoftwareRepository DeviceSoftware { get; }
    ICertificateRepository Certificates { get; }
    IEnrollmentRepository Enrollment { get; }
    ITelemetryRepository Telemetry { get; }
    IDetectionSnapshotRepository DetectionSnapshots { get; }
    IIncidentRepository Incidents { get; }
    IIncidentSiemOutbox SiemOutbox { get; }
    IDeviceCommandRepository DeviceCommands { get; }
    ITufMetadataStore TufMetadata { get; }
    IReleaseCatalog Releases { get; }
    ISecurityReceiptQueries Receipts { get; }
    IGeofenceRepository Geofences { get; }
    IForensicBundleRepository ForensicBundles { get; }

    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>Operator API tokens.</summary>
public interface IApiTokenRepository
{
    Task InsertAsync(ApiToken token, CancellationToken cancellationToken = default);
    Task<ApiToken?> FindBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken = default);
    Task<ApiToken?> GetAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken = default);
    /// <summary>Returns false when no such token exists.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);
    Task TouchLastUsedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>The device registry.</summary>
public interface IDeviceRepository
{
    /// <summary>Returns false when a device with that id already exists (nothing is changed).</summary>
    Task<bool> InsertAsync(Device device, CancellationToken cancellationToken = default);
    Task<Device?> GetAsync(string id, CancellationToken cancellationToken = default);
    /// <summary>Keyset paging by id: devices with id greater than <paramref name="afterId"/>, in id order.</summary>
    Task<IReadOnlyList<Device>> ListAsync(DeviceQuery query, CancellationToken cancellationToken = default);
    Task<long> CountAsync(DeviceLifecycleState? state = null, CancellationToken cancellationToken = default);
    /// <summary>Returns false when no such device exists.</summary>
    Task<bool> SetStateAsync(string id, DeviceLifecycleState state, CancellationToken cancellationToken = default);
    Task<bool> MarkSeenAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>Filter and page for device listings.</summary>
public sealed record DeviceQuery(
    string? AfterId = null,
    int Limit = 100,
    DeviceLifecycleState? State = null,
    string? Model = null,
    string? Tag = null);

/// <summary>
/// Where every auditable event goes, inside the same transaction as the change it records,
/// so a state change without its record cannot exist. The Merkle log backs it.
/// </summary>
public interface IAuditTrail
{
    /// <summary>Appends the event and returns its zero-based index in the log.</summary>
    Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);
}
