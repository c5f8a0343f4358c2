using Fleetward.Core.Ports;
using Npgsql;

namespace Fleetward.Storage.Tests;

/// <summary>Creates a fresh, empty store for one test and removes it afterwards.</summary>
public interface ITestStoreFactory
{
    string Engine { get; }

    /// <summary>A new empty database; the returned location can be reopened with <see cref="OpenAsync"/>.</summary>
    Task<string> CreateDatabaseAsync();

    Task<IFleetStore> OpenAsync(string location);

    /// <summary>Runs raw SQL against the database behind the store, bypassing Fleetward (for tamper and schema tests).</summary>
    Task ExecuteRawAsync(string location, string sql);

    Task DropAsync(string location);
}

public sealed class SqliteTestStoreFactory : ITestStoreFactory
{
    public string Engine => "sqlite";

    public Task<string> CreateDatabaseAsync()
    {
        var dir = Directory.CreateTempSubdirectory("fleetward-sqlite-");
        return Task.FromResult(Path.Combine(dir.FullName, "fleetward.db"));
    }

    public Task<IFleetStore> OpenAsync(string location) => FleetStores.OpenSqliteAsync(location);

    public async Task ExecuteRawAsync(string location, string sql)
    {
        _ = FleetStores.SqliteVersion;
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public Task DropAsync(string location)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(location)!, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Uses the throw-away cluster that scripts/test starts (FLEETWARD_TEST_POSTGRES). Without it the PostgreSQL
/// half of the contract fails with a message saying so: CI must never pass by running only SQLite.
/// </summary>
public sealed class PostgresTestStoreFactory : ITestStoreFactory
{
    public const string EnvironmentVariable = "FLEETWARD_TEST_POSTGRES";

    public string Engine => "postgres";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the suite through scripts/test, which starts a throw-away PostgreSQL on 127.0.0.1.");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "fw_test_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public Task<IFleetStore> OpenAsync(string location) => FleetStores.OpenPostgresAsync(location);

    public async Task ExecuteRawAsync(string location, string sql)
    {
        await using var connection = new NpgsqlConnection(location);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DropAsync(string location)
    {
        var name = new NpgsqlConnectionStringBuilder(location).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// What every contract class shares: a fresh database on the given engine for each test, opened through the port,
/// and dropped afterwards. Each area's contract derives from it and is run once per engine.
/// </summary>
public abstract class StoreContract(ITestStoreFactory factory) : IAsyncLifetime
{
    protected ITestStoreFactory Factory { get; } = factory;

    /// <summary>Where the database lives (a file path or a connection string), for reopening and raw SQL.</summary>
    protected string Location { get; private set; } = "";

    protected IFleetStore Store { get; set; } = null!;

    public async Task InitializeAsync()
    {
        Location = await Factory.CreateDatabaseAsync();
        Store = await Factory.OpenAsync(Location);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Factory.DropAsync(Location);
    }
}
