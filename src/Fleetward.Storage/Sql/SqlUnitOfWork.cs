using System.Data.Common;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Sql;

/// <summary>
/// A unit of work over one connection and one transaction. The repositories share it, so everything
/// done through them commits or rolls back together. The SQL is written once for both engines.
/// </summary>
internal sealed class SqlUnitOfWork : IFleetUnitOfWork
{
    private readonly DbConnection _connection;
    private readonly DbTransaction _transaction;
    private readonly bool _readOnly;
    private readonly IDisposable? _writerLease;
    private bool _finished;

    /// <param name="writerLease">The SQLite store's in-process writer turn, given back at commit or disposal, whichever comes first.</param>
    public SqlUnitOfWork(DbConnection connection, DbTransaction transaction, bool readOnly, IDisposable? writerLease = null)
    {
        _writerLease = writerLease;
        _connection = connection;
        _transaction = transaction;
        _readOnly = readOnly;
        var session = new SqlSession(connection, transaction);
        Tokens = new SqlApiTokenRepository(session);
        Devices = new SqlDeviceRepository(session);
        Audit = new SqlAuditTrail(session);
        AuditLog = new SqlAuditLogReader(session);
        AuditCheckpoints = new SqlAuditCheckpointRepository(session);
        Rollouts = new SqlRolloutRepository(session);
        Assignments = new SqlRolloutAssignmentRepository(session);
        DeviceSoftware = new SqlRolloutDeviceSoftwareRepository(session);
        Certificates = new SqlCertificateRepository(session);
        Enrollment = new SqlEnrollmentRepository(session);
        Telemetry = new SqlTelemetryRepository(session);
        DetectionSnapshots = new SqlDetectionSnapshotRepository(session);
        Incidents = new SqlIncidentRepository(session);
        SiemOutbox = new SqlIncidentSiemOutbox(session);
        DeviceCommands = new SqlDeviceCommandRepository(session);
        TufMetadata = new SqlTufMetadataStore(session);
        Releases = new SqlReleaseCatalog(session);
        Receipts = new SqlSecurityReceiptQueries(session);
        Geofences = new SqlGeofenceRepository(session);
        ForensicBundles = new SqlForensicBundleRepository(session);
    }

    public IApiTokenRepository Tokens { get; }
    public IDeviceRepository Devices { get; }
    public IAuditTrail Audit { get; }
    public IAuditLogReader AuditLog { get; }
    public IAuditLogCheckpointRepository AuditCheckpoints { get; }
    public IRolloutRepository Rollouts { get; }
    public IRolloutAssignmentRepository Assignments { get; }
    public IRolloutDeviceSoftwareRepository DeviceSoftware { get; }
    public ICertificateRepository Certificates { get; }
    public IEnrollmentRepository Enrollment { get; }
    public ITelemetryRepository Telemetry { get; }
    public IDetectionSnapshotRepository DetectionSnapshots { get; }
    public IIncidentRepository Incidents { get; }
    public IIncidentSiemOutbox SiemOutbox { get; }
    public IDeviceCommandRepository DeviceCommands { get; }
    public ITufMetadataStore TufMetadata { get; }
    public IReleaseCatalog Releases { get; }
    public ISecurityReceiptQueries Receipts { get; }
    public IGeofenceRepository Geofences { get; }
    public IForensicBundleRepository ForensicBundles { get; }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_finished)
        {
            throw new InvalidOperationException("This unit of work has already been committed.");
        }

        _finished = true;
        if (_readOnly)
        {
            await _transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            try
            {
                await _transaction.CommitAsync(cancellationToken);
            }
            finally
            {
                // SQLite released its write lock with the commit: the next writer may start while this object lives on.
                _writerLease?.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            try
            {
                await _transaction.RollbackAsync();
            }
            catch (InvalidOperationException)
            {
                // The connection already ended the transaction (for example after a failed statement in PostgreSQL).
            }
        }

        try
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
        finally
        {
            _writerLease?.Dispose();
        }
    }
}

/// <summary>The connection and transaction that every repository of one unit of work runs its commands on.</summary>
internal sealed record SqlSession(DbConnection Connection, DbTransaction Transaction)
{
    public Dapper.CommandDefinition Command(string sql, object? parameters, CancellationToken cancellationToken) =>
        new(sql, parameters, Transaction, cancellationToken: cancellationToken);
}

/// <summary>Timestamps are stored as Unix milliseconds (BIGINT) on both engines: exact, sortable and free of time-zone rules.</summary>
internal static class UnixTime
{
    public static long ToMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static long? ToMs(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    public static DateTimeOffset? FromMs(long? value) => value is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
