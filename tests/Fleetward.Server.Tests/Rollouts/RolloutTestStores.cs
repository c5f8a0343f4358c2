using Fleetward.Core.Ports;
using Fleetward.Storage;
using Npgsql;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>A throw-away store for one test, and raw access to its audit rows (the audit port has no read side here).</summary>
public interface IRolloutTestStore : IAsyncDisposable
{
    IFleetStore Store { get; }

    Task<IReadOnlyList<(string Type, string Actor, string Subject, string Payload)>> AuditEntriesAsync();
}

public sealed class SqliteRolloutTestStore : IRolloutTestStore
{
    private readonly DirectoryInfo _directory;

    private SqliteRolloutTestStore(DirectoryInfo directory, IFleetStore store)
    {
        _directory = directory;
        Store = store;
    }

    public IFleetStore Store { get; }

    public static async Task<IRolloutTestStore> CreateAsync(TimeProvider time)
    {
        var directory = Directory.CreateTempSubdirectory("fleetward-rollout-test-");
        return new SqliteRolloutTestStore(directory, await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"), default, time));
    }

    public async Task<IReadOnlyList<(string Type, string Actor, string Subject, string Payload)>> AuditEntriesAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory.FullName, "fleetward.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, actor, subject, payload FROM audit_entries ORDER BY idx";
        return await ReadAsync(command);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    internal static async Task<IReadOnlyList<(string, string, string, string)>> ReadAsync(System.Data.Common.DbCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return rows;
    }
}

/// <summary>
/// A fresh database on the throw-away cluster scripts/test starts (FLEETWARD_TEST_POSTGRES). Without it the
/// PostgreSQL variant fails saying so: CI must never pass by running only SQLite.
/// </summary>
public sealed class PostgresRolloutTestStore : IRolloutTestStore
{
    private readonly string _connectionString;

    private PostgresRolloutTestStore(string connectionString, IFleetStore store)
    {
        _connectionString = connectionString;
        Store = store;
    }

    public IFleetStore Store { get; }

    /// <summary>The test database, for a second store on it (a second server replica).</summary>
    public string ConnectionString => _connectionString;

    private static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("FLEETWARD_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("FLEETWARD_TEST_POSTGRES is not set: run the suite through scripts/test, which starts a throw-away PostgreSQL.");

    public static async Task<IRolloutTestStore> CreateAsync(TimeProvider time) => await CreateDatabaseAsync(time);

    public static async Task<PostgresRolloutTestStore> CreateDatabaseAsync(TimeProvider time)
    {
        var name = "fw_rollout_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        return new PostgresRolloutTestStore(connectionString, await FleetStores.OpenPostgresAsync(connectionString, default, time));
    }

    public async Task<IReadOnlyList<(string Type, string Actor, string Subject, string Payload)>> AuditEntriesAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT type, actor, subject, payload FROM audit_entries ORDER BY idx", connection);
        return await SqliteRolloutTestStore.ReadAsync(command);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        var name = new NpgsqlConnectionStringBuilder(_connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
