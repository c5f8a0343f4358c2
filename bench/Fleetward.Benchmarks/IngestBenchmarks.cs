using BenchmarkDotNet.Attributes;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
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
        return (device, Batch(device.Id, hour * ReportsPerBatch + 1, ReportsPerBatch));
    }

    /// <summary>An encoded batch of <paramref name="count"/> one-minute reports of a healthy device, starting an hour ago.</summary>
    internal static byte[] Batch(string deviceId, long firstSequence, int count)
    {
        var first = DateTimeOffset.UtcNow.AddHours(-1);
        var reports = Enumerable.Range(0, count).Select(m => new TelemetryReport
        {
            DeviceId = deviceId,
            Sequence = firstSequence + m,
            SampledAt = first.AddMinutes(m),
            IntervalSeconds = 60,
            CpuPercent = 10 + m % 7,
            MemoryUsedBytes = 300_000_000,
            MemoryTotalBytes = 1_000_000_000,
            Network = new NetworkCounters { BytesIn = 60_000 + m, BytesOut = 90_000, PacketsIn = 80, PacketsOut = 110 },
            TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
            Listeners = [new ListeningSocket { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
            ProcessCount = 85,
            UptimeSeconds = 86_400 + (firstSequence + m) * 60.0,
            BootCount = 3,
        }).ToList();
        return TelemetryCodec.Encode(new TelemetryBatch { Reports = reports });
    }
}

/// <summary>
/// Telemetry ingest over mutual TLS 1.3 with keep-alive through the real server: POST /device/v1/telemetry on the
/// Kestrel device listener, EST-issued device certificates, device authentication, TelemetryIngestService (decode,
/// validate, detection, latest and history rows in SQLite), beside the same bare Kestrel mTLS endpoint that drains
/// the body and answers a small JSON (the baseline). One operation = one batch of 10 reports from each of 16 devices,
/// one device after another; figures are per report. Rate limits are lifted so the bench measures work, not refusals.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class IngestOverTlsBenchmarks
{
    private const int Devices = 16;
    private const int ReportsPerBatch = 10;

    private MutualTlsBenchFleet _fleet = null!;
    private long _round;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await an async set-up.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync() =>
        _fleet = await MutualTlsBenchFleet.StartAsync(Devices, "rover-x", new UnlimitedTelemetryModule());

    [GlobalCleanup]
    public void Cleanup() => _fleet.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Devices * ReportsPerBatch, Description = "bare Kestrel mTLS JSON endpoint, same batches")]
    public Task<int> BareEndpoint() => SendRoundAsync(bare: true);

    [Benchmark(OperationsPerInvoke = Devices * ReportsPerBatch, Description = "POST /device/v1/telemetry through the server")]
    public Task<int> IngestThroughServer() => SendRoundAsync(bare: false);

    private async Task<int> SendRoundAsync(bool bare)
    {
        var round = _round++;
        var bytes = 0;
        foreach (var device in _fleet.Devices)
        {
            var body = IngestBenchmarks.Batch(device.Id, round * ReportsPerBatch + 1, ReportsPerBatch);
            bytes += await RolloutCheckInOverTlsBenchmarks.PostAsync(bare ? device.Bare : device.Server, body, "device/v1/telemetry");
        }
        return bytes;
    }

    private sealed class UnlimitedTelemetryModule : IServerModule
    {
        public void ConfigureServices(IServiceCollection services, ServerOptions options) =>
            services.AddSingleton(new DetectionServerOptions { RateLimit = new TelemetryRateLimit(1e9, 1_000_000) });

        public void MapEndpoints(FleetwardRoutes routes)
        {
        }
    }
}
