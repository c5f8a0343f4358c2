using BenchmarkDotNet.Attributes;
using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Storage;
using Npgsql;

namespace Fleetward.Benchmarks;

/// <summary>
/// The security receipts' aggregate queries (<see cref="ISecurityReceiptQueries.GatherAsync"/>) over a fleet of
/// 100,000 in-service devices, each with a certificate, a software report and a finished update. The baseline is
/// one COUNT(*) over the devices table on the same engine, the least any fleet-wide figure costs.
/// PostgreSQL figures need FLEETWARD_BENCH_POSTGRES (scripts/bench starts a throw-away cluster).
/// </summary>
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class ReceiptBenchmarks
{
    private const int Devices = 100_000;

    private IFleetStore _store = null!;
    private string _cleanup = "";
    private ReceiptQuery _query = null!;

    [Params("sqlite", "postgres")]
    public string Engine { get; set; } = "sqlite";

    /// <summary>Synchronous, so every toolchain (including --inProcess) finishes loading before the first iteration.</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        Func<System.Data.Common.DbConnection> raw;
        if (Engine == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("fleetward-bench-");
            _cleanup = dir.FullName;
            var path = Path.Combine(dir.FullName, "bench.db");
            _store = await FleetStores.OpenSqliteAsync(path);
            raw = () => new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
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
            raw = () => new NpgsqlConnection(connectionString);
        }

        var now = DateTimeOffset.UtcNow;
        var ms = now.ToUnixTimeMilliseconds();
        _query = new ReceiptQuery(now, now.AddDays(-30), SecurityReceiptsCalculator.RenewalDeadlineFraction);
        var postgres = Engine == "postgres";
        string Series(string insertAndSelect) => postgres
            ? $"INSERT INTO {insertAndSelect} FROM generate_series(1, {Devices}) AS s(i)"
            : $"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {Devices}) INSERT INTO {insertAndSelect} FROM s";
        var fingerprint = postgres ? "decode(md5(i::text) || md5(i::text), 'hex')" : "randomblob(32)";
        var der = postgres ? "'\\x00'::bytea" : "x'00'";
        await using var connection = raw();
        await connection.ExecuteAsync(Series($"devices (id, model, state, created_at) SELECT 'd' || i, 'mower', 'active', {ms}"));
        await connection.ExecuteAsync(Series(
            "device_certificates (serial, device_id, not_before, not_after, issued_at, der, public_key_sha256) " +
            $"SELECT 's' || i, 'd' || i, {ms - 3_600_000}, {ms + 82_800_000}, {ms - 3_600_000}, {der}, {fingerprint}"));
        await connection.ExecuteAsync(Series($"device_software (device_id, release_id, version, checked_in_at) SELECT 'd' || i, CASE WHEN i % 10 = 0 THEN 'r1' ELSE 'r2' END, '1.0', {ms}"));
        await connection.ExecuteAsync(
            "INSERT INTO releases (id, version, security_version, channel, target_path, targets_role, hardware_ids, length, sha256, sha512, state, created_at, created_by, signed_at) VALUES " +
            $"('r1', '1.0', 1, 'stable', 'p1', 'targets', '[]', 1, 'a', 'b', 'signed', {ms - 864_000_000}, 'bench', {ms - 864_000_000}), " +
            $"('r2', '1.1', 2, 'security', 'p2', 'security', '[]', 1, 'a', 'b', 'signed', {ms - 86_400_000}, 'bench', {ms - 86_400_000})");
        await connection.ExecuteAsync(
            "INSERT INTO rollouts (id, release_id, release_version, release_security_version, release_channel, selection_json, error_minimum_finished, " +
            "error_action, install_timeout_seconds, max_retries, security_bypasses_windows, version, status, current_ring, created_at, updated_at) " +
            "VALUES ('ro', 'r2', '1.1', 2, 'security', '{}', 1, 'pause', 600, 1, 1, 1, 'running', 0, 0, 0)");
        await connection.ExecuteAsync(Series(
            "device_assignments (rollout_id, device_id, ring_index, bucket, status, attempt, version, assigned_at, status_changed_at, finished_at) " +
            $"SELECT 'ro', 'd' || i, 0, 0, CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, 1, 1, {ms - 7_200_000}, {ms}, {ms} - i * 10"));
        if (postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("ANALYZE", commandType: System.Data.CommandType.Text));
        }
    }

    private async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        if (Engine == "sqlite")
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_cleanup, recursive: true);
        }
        else
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES"));
            await c.ExecuteAsync($"DROP DATABASE IF EXISTS {_cleanup} WITH (FORCE)");
        }
    }

    [Benchmark(Baseline = true)]
    public async Task<long> CountDevices()
    {
        await using var read = await _store.ReadAsync();
        return await read.Devices.CountAsync();
    }

    [Benchmark]
    public async Task<ReceiptFacts> GatherReceipts()
    {
        await using var read = await _store.ReadAsync();
        return await read.Receipts.GatherAsync(_query);
    }
}
