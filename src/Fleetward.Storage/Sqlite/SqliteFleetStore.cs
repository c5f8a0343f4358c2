using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Fleetward.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Writers are serialised by BEGIN IMMEDIATE
/// (so a read never has to be upgraded to a write mid-transaction); readers never block them.
/// synchronous=FULL makes every acknowledged commit survive a power cut, not only a process crash.
/// </summary>
internal sealed class SqliteFleetStore : IFleetStore
{
    private readonly string _connectionString;

    private SqliteFleetStore(string connectionString)
    {
        _connectionString = connectionString;
    }

    public string Engine => "sqlite";

    /// <summary>The path of the database file.</summary>
    public required string DatabasePath { get; init; }

    public static async Task<SqliteFleetStore> OpenAsync(string databasePath, TimeProvider time, CancellationToken cancellationToken)
    {
        _ = SqliteNative.Version;
        var fullPath = Path.GetFullPath(databasePath);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var store = new SqliteFleetStore(connectionString) { DatabasePath = fullPath };
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode=WAL", cancellationToken: cancellationToken));
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await MigrationRunner.ApplyAsync(connection, transaction, Migration.LoadEmbedded("Sqlite"), "SQLite", time, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return store;
    }

    public async Task<IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenConnectionAsync(cancellationToken);
        // Microsoft.Data.Sqlite starts BEGIN IMMEDIATE unless deferred is asked for.
        return new SqlUnitOfWork(connection, connection.BeginTransaction(deferred: false), readOnly: false);
    }

    public async Task<IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenConnectionAsync(cancellationToken);
        return new SqlUnitOfWork(connection, connection.BeginTransaction(deferred: true), readOnly: true);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", cancellationToken: cancellationToken));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
