using Fleetward.Core.DeviceApi;
using BenchmarkDotNet.Attributes;
using Dapper;
using Fleetward.Core.Devices;
using Fleetward.Core.Policy;
using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Rollouts;
using Fleetward.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fleetward.Benchmarks;

/// <summary>
/// Device check-ins handled per second through <see cref="CheckInService"/> and the store (no TLS yet: the mTLS
/// keep-alive variant comes with device identity), beside a bare point read of the device row through the store
/// in the same run (the baseline). The fleet has taken a completed rollout; "idle" is the steady state (an
/// up-to-date device reports its software and learns there is nothing to do), "reporting" re-reports a finished
/// assignment, which also takes the rollout row lock. One operation = 100 check-ins over different devices.
/// PostgreSQL figures need FLEETWARD_BENCH_POSTGRES (scripts/bench starts a throw-away cluster).
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
public class RolloutCheckInBenchmarks
{
    private const int Devices = 1_000;
    private const int CheckInsPerOperation = 100;
    private const string RolloutId = "bench-rollout";

    private IFleetStore _store = null!;
    private CheckInService _checkIn = null!;
    private Device[] _devices = [];
    private string _cleanup = "";
    private string? _adminConnection;
    private int _next;

    [Params("sqlite", "postgres")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Engine == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("fleetward-bench-rollout-");
            _cleanup = dir.FullName;
            _store = await FleetStores.OpenSqliteAsync(Path.Combine(dir.FullName, "bench.db"));
        }
        else
        {
            _adminConnection = Environment.GetEnvironmentVariable("FLEETWARD_BENCH_POSTGRES")
                ?? throw new InvalidOperationException("FLEETWARD_BENCH_POSTGRES is not set; run through scripts/bench.");
            _cleanup = "fw_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var c = new NpgsqlConnection(_adminConnection))
            {
                await c.ExecuteAsync($"CREATE DATABASE {_cleanup}");
            }
            _store = await FleetStores.OpenPostgresAsync(new NpgsqlConnectionStringBuilder(_adminConnection) { Database = _cleanup }.ConnectionString);
        }

        var now = TimeProvider.System.GetUtcNow();
        _devices = [.. Enumerable.Range(0, Devices).Select(i => new Device($"dev-{i:D6}", "mower", null, ["eu"], DeviceLifecycleState.Active, now, null, null))];
        await using (var work = await _store.BeginAsync())
        {
            foreach (var device in _devices)
            {
                await work.Devices.InsertAsync(device);
            }
            await work.CommitAsync();
        }

        // Take the whole fleet through one rollout so check-ins meet the state of a fleet in service.
        _checkIn = new CheckInService(_store, TimeProvider.System, new UpdateGatePolicy());
        await using (var work = await _store.BeginAsync())
        {
            await work.Releases.InsertAsync(new Release("fw", "2.0.0", 2, ReleaseChannel.Stable, "fw-2.0.0.img", "targets", ["mower"], 1024,
                new string('a', 64), new string('b', 128), null, ReleaseState.Pending, now, "bench", null, null));
            await work.Releases.MarkSignedAsync(["fw"], 1, now);
            await work.CommitAsync();
        }
        var rollouts = new RolloutService(_store, TimeProvider.System);
        await rollouts.CreateAsync(new CreateRolloutRequest(new ReleaseSpec("fw"), [new RingSpec(100m)], RolloutId, new SelectionSpec(Model: "mower")), "bench", default);
        await rollouts.StartAsync(RolloutId, "bench", null, default);
        foreach (var device in _devices)
        {
            await _checkIn.CheckInAsync(device, Credential(device), Report("1.0.0", null), default);
            await _checkIn.CheckInAsync(device, Credential(device), Report("1.0.0", "installing"), default);
            await _checkIn.CheckInAsync(device, Credential(device), Report("2.0.0", "succeeded"), default);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        if (Engine == "sqlite")
        {
            Directory.Delete(_cleanup, recursive: true);
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(_adminConnection);
        await c.ExecuteAsync($"DROP DATABASE IF EXISTS {_cleanup} WITH (FORCE)");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CheckInsPerOperation)]
    public async Task<int> StoreDeviceRead()
    {
        var found = 0;
        for (var i = 0; i < CheckInsPerOperation; i++)
        {
            await using var read = await _store.ReadAsync();
            if (await read.Devices.GetAsync(NextDevice().Id) is not null)
            {
                found++;
            }
        }
        return found;
    }

    [Benchmark(OperationsPerInvoke = CheckInsPerOperation)]
    public async Task<int> CheckInIdle()
    {
        var none = 0;
        for (var i = 0; i < CheckInsPerOperation; i++)
        {
            var device = NextDevice();
            var answer = await _checkIn.CheckInAsync(device, Credential(device), Report("2.0.0", null), default);
            if (answer.Instruction.Kind == "none")
            {
                none++;
            }
        }
        return none;
    }

    [Benchmark(OperationsPerInvoke = CheckInsPerOperation)]
    public async Task<int> CheckInReporting()
    {
        var none = 0;
        for (var i = 0; i < CheckInsPerOperation; i++)
        {
            var device = NextDevice();
            var answer = await _checkIn.CheckInAsync(device, Credential(device), Report("2.0.0", "succeeded"), default);
            if (answer.Instruction.Kind == "none")
            {
                none++;
            }
        }
        return none;
    }

    private Device NextDevice() => _devices[_next++ % _devices.Length];

    private static DeviceCredential Credential(Device device) =>
        new("01", device.Id, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, Revoked: false);

    private static CheckInReport Report(string version, string? phase) => new(
        new InstalledSoftware("fw", version, version == "2.0.0" ? 2 : 1, "a"),
        "healthy",
        phase is null ? null : new AssignmentReport(RolloutId, phase, 1));
}

/// <summary>
/// Check-ins over mutual TLS 1.3 with keep-alive through the real server: Kestrel's device listener, device
/// certificates the real CA issued over EST, the device authentication middleware, <see cref="CheckInService"/> and the
/// SQLite store, for a fleet that took a completed rollout (the steady state: an up-to-date device reports and learns
/// there is nothing to do). The baseline is a bare Kestrel endpoint with the same certificates and client-certificate
/// check that answers a small JSON. One operation = one check-in by each of 32 devices on its own kept-alive
/// connection, one after another ("sequential") or all at once ("concurrent", what a busy listener sees).
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class RolloutCheckInOverTlsBenchmarks
{
    private const int Devices = 32;
    private const string RolloutId = "bench-tls-rollout";

    private MutualTlsBenchFleet _fleet = null!;
    private byte[] _idleReport = [];

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await an async set-up.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _fleet = await MutualTlsBenchFleet.StartAsync(Devices, "mower");
        var now = DateTimeOffset.UtcNow;
        await using (var work = await _fleet.Store.BeginAsync())
        {
            await work.Releases.InsertAsync(new Release("fw", "2.0.0", 2, ReleaseChannel.Stable, "fw-2.0.0.img", "targets", ["mower"], 1024,
                new string('a', 64), new string('b', 128), null, ReleaseState.Pending, now, "bench", null, null));
            await work.Releases.MarkSignedAsync(["fw"], 1, now);
            await work.CommitAsync();
        }
        var rollouts = _fleet.Server.Services.GetRequiredService<RolloutService>();
        await rollouts.CreateAsync(new CreateRolloutRequest(new ReleaseSpec("fw"), [new RingSpec(100m)], RolloutId, new SelectionSpec(Model: "mower")), "bench", default);
        await rollouts.StartAsync(RolloutId, "bench", null, default);
        foreach (var device in _fleet.Devices)
        {
            await PostAsync(device.Server, Body(new CheckInReport(new InstalledSoftware("fw", "1.0.0", 1, "a"), "healthy")));
            await PostAsync(device.Server, Body(new CheckInReport(new InstalledSoftware("fw", "1.0.0", 1, "a"), "healthy", new AssignmentReport(RolloutId, "installing", 1))));
            await PostAsync(device.Server, Body(new CheckInReport(new InstalledSoftware("fw", "2.0.0", 2, "b"), "healthy", new AssignmentReport(RolloutId, "succeeded", 1))));
        }
        var status = await rollouts.GetAsync(RolloutId, default);
        if (status.Devices["succeeded"] != Devices)
        {
            throw new InvalidOperationException($"set-up left {status.Devices["succeeded"]} of {Devices} devices updated");
        }
        _idleReport = Body(new CheckInReport(new InstalledSoftware("fw", "2.0.0", 2, "b"), "healthy"));
    }

    [GlobalCleanup]
    public void Cleanup() => _fleet.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Devices, Description = "bare Kestrel mTLS JSON endpoint, sequential")]
    public async Task<int> BareSequential()
    {
        var bytes = 0;
        foreach (var device in _fleet.Devices)
        {
            bytes += await PostAsync(device.Bare, _idleReport);
        }
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Devices, Description = "POST /device/v1/check-in through the server, sequential")]
    public async Task<int> CheckInSequential()
    {
        var bytes = 0;
        foreach (var device in _fleet.Devices)
        {
            bytes += await PostAsync(device.Server, _idleReport);
        }
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Devices, Description = "bare Kestrel mTLS JSON endpoint, 32 concurrent")]
    public async Task<int> BareConcurrent() => (await Task.WhenAll(_fleet.Devices.Select(d => PostAsync(d.Bare, _idleReport)))).Sum();

    [Benchmark(OperationsPerInvoke = Devices, Description = "POST /device/v1/check-in through the server, 32 concurrent")]
    public async Task<int> CheckInConcurrent() => (await Task.WhenAll(_fleet.Devices.Select(d => PostAsync(d.Server, _idleReport)))).Sum();

    private static byte[] Body(CheckInReport report) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(report, Fleetward.Server.Problems.JsonBody.Options);

    internal static async Task<int> PostAsync(HttpClient client, byte[] body, string path = "device/v1/check-in")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        var answer = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? answer.Length : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(answer)}");
    }
}
