using BenchmarkDotNet.Attributes;
using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;

namespace Fleetward.Benchmarks;

/// <summary>
/// Telemetry events scored per second by the default detection policy in steady state (baselines learned, so
/// every statistical detector judges), beside an empty pass that only reads each report of the same batch.
/// Also the ingest-side decode and validation of one encoded report. Each invocation handles the whole batch;
/// OperationsPerInvoke makes the figures per event. The engine is rebuilt from snapshots before each iteration
/// because a scored sequence number is never scored again.
/// </summary>
[MemoryDiagnoser]
public class DetectionBenchmarks
{
    private const int Devices = 200;
    private const int Minutes = 100;
    private const int Batch = Devices * Minutes;
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);

    private TelemetryReport[] _reports = [];
    private byte[][] _encoded = [];
    private DeviceProfile[] _profiles = [];
    private DeviceDetectionSnapshot[] _deviceSnapshots = [];
    private ModelBaselineSnapshot[] _modelSnapshots = [];
    private DetectionEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        var models = new[] { "rover-x", "arm-7", "hub-2" };
        var fence = new CircleGeofence("site", new GeoPoint(52.52, 13.405), 300);
        _profiles = Enumerable.Range(0, Devices).Select(i => new DeviceProfile(models[i % 3], [fence])).ToArray();
        var scale = Enumerable.Range(0, Devices).Select(_ => Math.Exp(0.15 * Gaussian(rng))).ToArray();

        _reports = new TelemetryReport[Batch];
        for (var m = 0; m < Minutes; m++)
        {
            for (var d = 0; d < Devices; d++)
                _reports[m * Devices + d] = Report(d, m, scale[d], rng);
        }
        _encoded = _reports.Take(1000).Select(TelemetryCodec.Encode).ToArray();

        // A day of learned history per device and per model, as a restarted server would load it.
        var policy = new DetectionPolicy();
        _deviceSnapshots = Enumerable.Range(0, Devices).Select(d => new DeviceDetectionSnapshot(
            $"dev-{d:D4}", 0, Start.AddMinutes(-1),
            policy.DeviceBaselines.Select(spec => new BaselineSnapshot(spec.Metric,
                Enumerable.Range(0, spec.Window).Select(_ => (float)(Typical(spec.Metric, scale[d]) * (1 + 0.05 * Gaussian(rng)))).ToArray())).ToArray())).ToArray();
        _modelSnapshots = models.Select(model => new ModelBaselineSnapshot(model,
            policy.ModelBaselines.Select(spec => new BaselineSnapshot(spec.Metric,
                Enumerable.Range(0, spec.Window).Select(_ => (float)(Typical(spec.Metric, Math.Exp(0.15 * Gaussian(rng))) * (1 + 0.05 * Gaussian(rng)))).ToArray())).ToArray())).ToArray();
    }

    // Every benchmark gets the same per-iteration setup so all share one invocation mode and one Ratio group.
    [IterationSetup]
    public void FreshEngine()
    {
        _engine = new DetectionEngine(new DetectionPolicy());
        foreach (var s in _deviceSnapshots) _engine.ImportDevice(s);
        foreach (var s in _modelSnapshots) _engine.ImportModel(s);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public double EmptyPass()
    {
        var sum = 0.0;
        foreach (var r in _reports) sum += r.CpuPercent + r.TcpConnections.Count + (r.Sensors?.PowerWatts ?? 0);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ScoreWithDefaultPolicy()
    {
        var detections = 0;
        for (var i = 0; i < _reports.Length; i++)
        {
            var r = _reports[i];
            detections += _engine.Evaluate(r, _profiles[i % Devices], r.SampledAt).Detections.Count;
        }
        return detections;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public int DecodeAndValidate()
    {
        var valid = 0;
        foreach (var bytes in _encoded)
        {
            if (TelemetryCodec.DecodeReport(bytes, Start.AddDays(1)).IsValid) valid++;
        }
        return valid;
    }

    private static double Typical(TelemetryMetric metric, double scale) => metric switch
    {
        TelemetryMetric.PowerWatts => 40 * scale,
        TelemetryMetric.ThroughputBytesPerSecond => 20_000 * scale,
        TelemetryMetric.CpuPercent => 30 * scale,
        TelemetryMetric.GpsDriftMetersPerSecond => 0.5 * scale,
        _ => scale,
    };

    private static TelemetryReport Report(int device, int minute, double scale, Random rng)
    {
        var noise = 1 + 0.05 * Gaussian(rng);
        var bytes = (long)(20_000 * scale * noise * 60);
        return new TelemetryReport
        {
            DeviceId = $"dev-{device:D4}",
            Sequence = minute + 1,
            SampledAt = Start.AddMinutes(minute).AddSeconds(device % 60),
            IntervalSeconds = 60,
            CpuPercent = Math.Clamp(30 * scale * noise, 0, 100),
            MemoryUsedBytes = 300_000_000,
            MemoryTotalBytes = 1_000_000_000,
            Network = new NetworkCounters { BytesIn = bytes / 3, BytesOut = bytes - bytes / 3, PacketsIn = bytes / 2400, PacketsOut = bytes / 1200 },
            TcpConnections = [new() { RemoteAddress = "10.0.0.10", RemotePort = 8443 }, new() { RemoteAddress = "10.0.5.20", RemotePort = 1883 }],
            Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
            ProcessCount = 85,
            UptimeSeconds = 86_400 + minute * 60,
            BootCount = 4,
            Sensors = new RobotSensors
            {
                Gps = new GpsFix { Latitude = 52.52 + 0.0005 * Math.Sin(minute / 10.0 + device), Longitude = 13.405 + 0.0005 * Math.Cos(minute / 10.0 + device), AccuracyMeters = 4 },
                TamperOpen = false,
                PowerWatts = 40 * scale * noise,
            },
        };
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
