using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Fleetward.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Writers are serialised by BEGIN IMMEDIATE
/// (so a read never has to be upgraded to a write mid-transaction); readers never block them.
/// synchronous=FULL makes every acknowledged commit survive a power cut, not only a process crash.
/// Writers of this process also take turns on an async gate before BEGIN IMMEDIATE: SQLite allows one writer anyway,
/// and Microsoft.Data.Sqlite answers a busy database by sleeping and retrying, which under concurrent check-ins
/// costs far more than queueing (and blocks thread-pool threads while it sleeps).
/// </summary>
internal sealed class SqliteFleetStore : IFleetStore
{
    /// <summary>As long as SQLite's own busy timeout: a writer that waits longer is told so instead of waiting forever.</summary>
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(30);

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

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
        if (!await _writer.WaitAsync(WriterWait, cancellationToken))
        {
            throw new TimeoutException($"No write turn on the SQLite store within {WriterWait.TotalSeconds:0} s: another unit of work of this process holds it.");
        }
        var lease = new WriterLease(_writer);
        try
        {
            var connection = await OpenConnectionAsync(cancellationToken);
            try
            {
                // Microsoft.Data.Sqlite starts BEGIN IMMEDIATE unless deferred is asked for.
                return new SqlUnitOfWork(connection, connection.BeginTransaction(deferred: false), readOnly: false, lease);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        catch
        {
            lease.Dispose();
            throw;
        }
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

    /// <summary>Gives the write turn back exactly once.</summary>
    private sealed class WriterLease(SemaphoreSlim writer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                writer.Release();
            }
        }
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
