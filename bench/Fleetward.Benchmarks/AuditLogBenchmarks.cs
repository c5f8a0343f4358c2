using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Dapper;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Storage;
using Fleetward.Trust.Merkle;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Fleetward.Benchmarks;

/// <summary>
/// A throw-away store on SQLite or PostgreSQL (FLEETWARD_BENCH_POSTGRES, set by scripts/bench) with a raw copy of the
/// audit_entries table, so the Merkle log's appends run beside plain inserts of the same rows on the same engine.
/// </summary>
public abstract class AuditLogStoreBenchmark
{
    protected static readonly DateTimeOffset Time = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    private string _cleanup = "";

    protected IFleetStore Store { get; private set; } = null!;

    protected Func<System.Data.Common.DbConnection> RawConnection { get; private set; } = null!;

    protected int Counter;

    [Params("sqlite", "postgres")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Engine == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("fleetward-bench-audit-");
            _cleanup = dir.FullName;
            var path = Path.Combine(dir.FullName, "bench.db");
            Store = await FleetStores.OpenSqliteAsync(path);
            // Same durability as the store: WAL with synchronous=FULL, one fsync per commit.
            RawConnection = () => new SqliteConnection($"Data Source={path}");
        }
        else
        {
            var admin = Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES")
                ?? throw new InvalidOperationException("FLEETWARD_BENCH_POSTGRES is not set; run through scripts/bench.");
            var name = "fw_bench_audit_" + Guid.NewGuid().ToString("N")[..12];
            await using (var c = new NpgsqlConnection(admin))
            {
                await c.ExecuteAsync($"CREATE DATABASE {name}");
            }
            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
            _cleanup = name;
            Store = await FleetStores.OpenPostgresAsync(connectionString);
            RawConnection = () => new NpgsqlConnection(connectionString);
        }
        await using var raw = await OpenRawAsync();
        await raw.ExecuteAsync("CREATE TABLE bench_raw_entries (idx BIGINT PRIMARY KEY, type TEXT NOT NULL, time BIGINT NOT NULL, actor TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL)");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await Store.DisposeAsync();
        if (Engine == "sqlite")
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_cleanup, recursive: true);
        }
        else
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES"));
            await c.ExecuteAsync($"DROP DATABASE IF EXISTS {_cleanup} WITH (FORCE)");
        }
    }

    protected static AuditEvent Event(int n) =>
        new("token.created", Time, "admin", $"token:t{n}", $"{{\"id\":\"t{n}\",\"name\":\"bench token {n}\",\"role\":\"auditor\"}}");

    protected async Task<System.Data.Common.DbConnection> OpenRawAsync()
    {
        var connection = RawConnection();
        await connection.OpenAsync();
        if (Engine == "sqlite")
        {
            await connection.ExecuteAsync("PRAGMA synchronous=FULL");
        }
        return connection;
    }

    /// <summary>The same row audit_entries gets, with no leaf encoding, hashing or Merkle nodes.</summary>
    protected static Task RawInsertAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, int n)
    {
        var e = Event(n);
        return connection.ExecuteAsync(
            "INSERT INTO bench_raw_entries (idx, type, time, actor, subject, payload) VALUES (@n, @Type, @Time, @Actor, @Subject, @PayloadJson)",
            new { n, e.Type, Time = e.Time.ToUnixTimeMilliseconds(), e.Actor, e.Subject, e.PayloadJson }, transaction);
    }
}

/// <summary>
/// Durable appends, one per transaction (each acknowledged append is one commit with its fsync): the audit log beside a
/// raw insert of the same row, one per transaction. Figures are per append.
/// </summary>
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class AuditLogAppendBenchmarks : AuditLogStoreBenchmark
{
    private const int Appends = 50;

    [Benchmark(Baseline = true, OperationsPerInvoke = Appends, Description = "raw insert, 1 row per transaction")]
    public async Task RawInsertPerTransaction()
    {
        await using var connection = await OpenRawAsync();
        for (var i = 0; i < Appends; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await RawInsertAsync(connection, transaction, Interlocked.Increment(ref Counter));
            await transaction.CommitAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = Appends, Description = "audit append, 1 per transaction")]
    public async Task AppendPerTransaction()
    {
        for (var i = 0; i < Appends; i++)
        {
            await using var work = await Store.BeginAsync();
            await work.Audit.AppendAsync(Event(Interlocked.Increment(ref Counter)));
            await work.CommitAsync();
        }
    }
}

/// <summary>
/// Group commit: <see cref="GroupSize"/> appends per durable transaction (one fsync per group), beside a raw insert of
/// the same rows in one transaction. Figures are per append.
/// </summary>
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class AuditLogGroupCommitBenchmarks : AuditLogStoreBenchmark
{
    private const int Groups = 10;

    [Params(10, 100)]
    public int GroupSize { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = 1000, Description = "raw insert, group per transaction")]
    public async Task RawInsertGroup()
    {
        await using var connection = await OpenRawAsync();
        for (var g = 0; g < 1000 / GroupSize; g++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < GroupSize; i++)
            {
                await RawInsertAsync(connection, transaction, Interlocked.Increment(ref Counter));
            }
            await transaction.CommitAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = 1000, Description = "audit append, group per transaction")]
    public async Task AppendGroup()
    {
        for (var g = 0; g < 1000 / GroupSize; g++)
        {
            await using var work = await Store.BeginAsync();
            for (var i = 0; i < GroupSize; i++)
            {
                await work.Audit.AppendAsync(Event(Interlocked.Increment(ref Counter)));
            }
            await work.CommitAsync();
        }
    }
}

/// <summary>
/// Proof generation from the SQL node store of a 10-million-entry log (SQLite). Setup bulk-loads the ~20 million
/// perfect-subtree nodes once into a cached database under the temp directory (synthetic leaf hashes; proofs only read
/// nodes). The baseline is one primary-key node lookup; a proof is one batched lookup of its O(log n) nodes plus hashing.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class AuditLogProofBenchmarks
{
    private const long Size = 10_000_000;
    private static readonly string CachedDatabase = Path.Combine(Path.GetTempPath(), "fleetward-bench-audit-10m.db");

    private IFleetStore _store = null!;
    private IFleetUnitOfWork _read = null!;
    private MerkleProofBuilder _builder = null!;
    private long _next = 1;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (!await IsCompleteAsync())
        {
            await BuildAsync();
        }
        _store = await FleetStores.OpenSqliteAsync(CachedDatabase);
        _read = await _store.ReadAsync();
        _builder = new MerkleProofBuilder(_read.AuditLog.Nodes);
        if (await _read.AuditLog.SizeAsync() != Size)
        {
            throw new InvalidOperationException($"{CachedDatabase} does not hold a log of {Size} entries; delete it to rebuild.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _read.DisposeAsync();
        await _store.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "one node lookup (10M log)")]
    public async Task<IReadOnlyList<byte[]>> NodeLookup() =>
        await _read.AuditLog.Nodes.GetNodesAsync([new MerkleNodeId(0, NextIndex())]);

    [Benchmark(Description = "inclusion proof (10M log)")]
    public Task<IReadOnlyList<byte[]>> InclusionProof() => _builder.InclusionProofAsync(NextIndex(), Size);

    [Benchmark(Description = "consistency proof (10M log)")]
    public Task<IReadOnlyList<byte[]>> ConsistencyProof() => _builder.ConsistencyProofAsync(NextIndex(), Size);

    private long NextIndex()
    {
        // A multiplicative walk over the leaves, so every call touches a different path.
        _next = (_next * 6_364_136_223_846_793_005L + 1_442_695_040_888_963_407L) & long.MaxValue;
        return 1 + _next % (Size - 1);
    }

    private static async Task<bool> IsCompleteAsync()
    {
        if (!File.Exists(CachedDatabase))
        {
            return false;
        }
        await using var store = await FleetStores.OpenSqliteAsync(CachedDatabase);
        await using var read = await store.ReadAsync();
        return await read.AuditLog.SizeAsync() == Size;
    }

    private static async Task BuildAsync()
    {
        File.Delete(CachedDatabase);
        await (await FleetStores.OpenSqliteAsync(CachedDatabase)).DisposeAsync();
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={CachedDatabase}");
        await connection.OpenAsync();
        await connection.ExecuteAsync("PRAGMA synchronous=OFF");
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO audit_nodes (level, idx, hash) VALUES ($level, $idx, $hash)";
        var level = insert.Parameters.Add("$level", SqliteType.Integer);
        var idx = insert.Parameters.Add("$idx", SqliteType.Integer);
        var hash = insert.Parameters.Add("$hash", SqliteType.Blob);
        insert.Prepare();
        var tree = new CompactMerkleTree();
        Span<byte> seed = stackalloc byte[8];
        for (long i = 0; i < Size; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(seed, i);
            foreach (var node in tree.Append(SHA256.HashData(seed)))
            {
                level.Value = node.Id.Level;
                idx.Value = node.Id.Index;
                hash.Value = node.Hash;
                insert.ExecuteNonQuery();
            }
        }
        await connection.ExecuteAsync("UPDATE audit_head SET size = @Size WHERE id = 1", new { Size }, transaction);
        await transaction.CommitAsync();
    }
}
