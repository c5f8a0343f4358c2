using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Storage.Sql;
using Npgsql;

namespace Fleetward.Storage.Postgres;

/// <summary>
/// The store for fleets that outgrow one machine, and for several server replicas sharing one database.
/// Migrations run under a transaction-scoped advisory lock so replicas starting together apply them once.
/// </summary>
internal sealed class PostgresFleetStore : IFleetStore
{
    /// <summary>Arbitrary constant naming Fleetward's migration lock ("FLWD").</summary>
    private const long MigrationLockKey = 0x464C5744;

    private readonly NpgsqlDataSource _dataSource;

    private PostgresFleetStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public string Engine => "postgres";

    public static async Task<PostgresFleetStore> OpenAsync(string connectionString, TimeProvider time, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = MigrationLockKey }, transaction, cancellationToken: cancellationToken));
            await MigrationRunner.ApplyAsync(connection, transaction, Migration.LoadEmbedded("Postgres"), "PostgreSQL", time, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new PostgresFleetStore(dataSource);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    public async Task<IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        return new SqlUnitOfWork(connection, transaction, readOnly: false);
    }

    public async Task<IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ ONLY", transaction: transaction, cancellationToken: cancellationToken));
        return new SqlUnitOfWork(connection, transaction, readOnly: true);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
