using BenchmarkDotNet.Attributes;
using Dapper;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Storage;
using Npgsql;

namespace Fleetward.Benchmarks;

/// <summary>
/// Device-row inserts and point reads through the storage port, beside a raw single-table insert of the same
/// number of rows in one transaction on the same engine (the baseline). One operation = 1,000 rows.
/// PostgreSQL figures need FLEETWARD_BENCH_POSTGRES (scripts/bench starts a throw-away cluster).
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
public class StorageBenchmarks
{
    private const int RowsPerOperation = 1_000;
    private static readonly DateTimeOffset Created = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    private IFleetStore _store = null!;
    private Func<System.Data.Common.DbConnection> _rawConnection = null!;
    private string[] _existingIds = [];
    private int _batch;
    private string _cleanup = "";

    [Params("sqlite", "postgres")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Engine == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("fleetward-bench-");
            _cleanup = dir.FullName;
            var path = Path.Combine(dir.FullName, "bench.db");
            _store = await FleetStores.OpenSqliteAsync(path);
            _rawConnection = () => new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        }
        else
        {
            var admin = Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES")
                ?? throw new InvalidOperationException("FLEETWARD_BENCH_POSTGRES is not set; run through scripts/bench.");
            var name = "fw_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var c = new NpgsqlConnection(admin))
            {
                await c.ExecuteAsync($"CREATE DATABASE {name}");
            }

            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
            _cleanup = name;
            _store = await FleetStores.OpenPostgresAsync(connectionString);
            _rawConnection = () => new NpgsqlConnection(connectionString);
        }

        await using (var raw = _rawConnection())
        {
            await raw.ExecuteAsync("CREATE TABLE bench_raw (id TEXT PRIMARY KEY, model TEXT NOT NULL, created_at BIGINT NOT NULL)");
        }

        await using var uow = await _store.BeginAsync();
        _existingIds = Enumerable.Range(0, 10_000).Select(i => $"seed-{i:D6}").ToArray();
        foreach (var id in _existingIds)
        {
            await uow.Devices.InsertAsync(new Device(id, "mower-x1", "rev-b", ["seed"], DeviceLifecycleState.Active, Created, null, null));
        }

        await uow.CommitAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        if (Engine == "sqlite")
        {
            Directory.Delete(_cleanup, recursive: true);
        }
        else
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES"));
            await c.ExecuteAsync($"DROP DATABASE IF EXISTS {_cleanup} WITH (FORCE)");
        }
    }

    [Benchmark(Baseline = true, Description = "raw single-table insert x1000")]
    public async Task RawInsert()
    {
        var batch = Interlocked.Increment(ref _batch);
        await using var connection = _rawConnection();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < RowsPerOperation; i++)
        {
            await connection.ExecuteAsync(
                "INSERT INTO bench_raw (id, model, created_at) VALUES (@id, @model, @at)",
                new { id = $"raw-{batch}-{i}", model = "mower-x1", at = 0L },
                transaction);
        }

        await transaction.CommitAsync();
    }

    [Benchmark(Description = "device insert x1000 (port, with tag)")]
    public async Task DeviceInsert()
    {
        var batch = Interlocked.Increment(ref _batch);
        await using var uow = await _store.BeginAsync();
        for (var i = 0; i < RowsPerOperation; i++)
        {
            await uow.Devices.InsertAsync(new Device($"dev-{batch}-{i}", "mower-x1", "rev-b", ["canary"], DeviceLifecycleState.Active, Created, null, null));
        }

        await uow.CommitAsync();
    }

    [Benchmark(Description = "device point read x1000 (port)")]
    public async Task DevicePointRead()
    {
        await using var uow = await _store.ReadAsync();
        for (var i = 0; i < RowsPerOperation; i++)
        {
            _ = await uow.Devices.GetAsync(_existingIds[(i * 7919) % _existingIds.Length]);
        }
    }
}
