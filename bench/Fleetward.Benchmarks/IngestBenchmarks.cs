using BenchmarkDotNet.Attributes;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Fleetward.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Benchmarks;

/// <summary>
/// Telemetry ingest through the server's TelemetryIngestService over SQLite (rate limit, decode and validate,
/// detection, latest and history rows, one commit per batch) beside a bare decode of the same batch (the baseline).
/// One operation = one batch of 60 reports of one device (an hour at one report a minute). Both sides encode their
/// batch first, since each operation needs fresh sequence numbers; the mTLS variant comes with device identity.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
public class IngestBenchmarks
{
    private const int ReportsPerBatch = 60;
    private const int Devices = 50;
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    private ServiceProvider _services = null!;
    private IFleetStore _store = null!;
    private TelemetryIngestService _ingest = null!;
    private Device[] _devices = [];
    private DirectoryInfo _directory = null!;
    private long _operation;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("fleetward-bench-ingest-");
        _store = await FleetStores.OpenSqliteAsync(Path.Combine(_directory.FullName, "bench.db"));
        _devices = [.. Enumerable.Range(0, Devices).Select(i => new Device($"bench-{i:D3}", "rover-x", null, [], DeviceLifecycleState.Active, Start, null, null))];
        await using (var work = await _store.BeginAsync())
        {
            foreach (var device in _devices) await work.Devices.InsertAsync(device);
            await work.CommitAsync();
        }
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_store);
        services.AddSingleton(new DetectionServerOptions { RateLimit = new TelemetryRateLimit(1e9, 1_000_000) });
        services.AddDetection();
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<DetectionHost>().StartAsync(default);
        _ingest = _services.GetRequiredService<TelemetryIngestService>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _services.GetRequiredService<DetectionHost>().StopAsync(default);
        await _services.DisposeAsync();
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ReportsPerBatch)]
    public object DecodeOnly()
    {
        var (device, body) = NextBatch();
        return TelemetryCodec.DecodeBatch(body, DateTimeOffset.UtcNow, device.Id);
    }

    [Benchmark(OperationsPerInvoke = ReportsPerBatch)]
    public async Task<object> IngestAndPersist()
    {
        var (device, body) = NextBatch();
        var result = await _ingest.IngestAsync(device, body, default);
        return result.Accepted ? result : throw new InvalidOperationException(result.Error?.ToString() ?? "rate limited");
    }

    /// <summary>The next hour of one device, round robin over the fleet, sampled in the recent past so validation accepts it.</summary>
    private (Device Device, byte[] Body) NextBatch()
    {
        var operation = _operation++;
        var device = _devices[operation % Devices];
        var hour = operation / Devices;
        var first = DateTimeOffset.UtcNow.AddHours(-1);
        var reports = Enumerable.Range(0, ReportsPerBatch).Select(m => new TelemetryReport
        {
            DeviceId = device.Id,
            Sequence = hour * ReportsPerBatch + m + 1,
            SampledAt = first.AddMinutes(m),
            IntervalSeconds = 60,
            CpuPercent = 10 + m % 7,
            MemoryUsedBytes = 300_000_000,
            MemoryTotalBytes = 1_000_000_000,
            Network = new NetworkCounters { BytesIn = 60_000 + m, BytesOut = 90_000, PacketsIn = 80, PacketsOut = 110 },
            TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
            Listeners = [new ListeningSocket { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
            ProcessCount = 85,
            UptimeSeconds = 86_400 + (hour * ReportsPerBatch + m) * 60.0,
            BootCount = 3,
        }).ToList();
        return (device, TelemetryCodec.Encode(new TelemetryBatch { Reports = reports }));
    }
}
