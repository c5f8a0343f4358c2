using BenchmarkDotNet.Attributes;
using Fleetward.Core.Rollouts;

namespace Fleetward.Benchmarks;

/// <summary>
/// Rollout planning over 1,000,000 registered devices: cohort assignment, ring counts (what starting a rollout
/// needs) and first-ring selection, beside a bare FNV-1a loop over the same device ids as the same-run baseline.
/// The ratio shows what planning costs on top of merely touching every id once.
/// </summary>
[MemoryDiagnoser]
public class RolloutPlanningBenchmarks
{
    private const int DeviceCount = 1_000_000;

    private DeviceFacts[] _devices = [];
    private RolloutPlanner _planner = null!;

    [GlobalSetup]
    public void Setup()
    {
        IReadOnlyList<string> fieldTags = ["eu", "field"];
        IReadOnlyList<string> labTags = ["lab"];
        _devices = new DeviceFacts[DeviceCount];
        for (var i = 0; i < DeviceCount; i++)
        {
            _devices[i] = new DeviceFacts($"dev-{i:D7}", i % 4 == 0 ? "arm" : "rover", i % 10 == 0 ? labTags : fieldTags, i % 50 == 0 ? "2.0.0" : "1.0.0");
        }
        var definition = new RolloutDefinition(
            "ro-bench",
            new ReleaseReference("rel-2.0.0", "2.0.0", 7, ReleaseChannel.Stable),
            new DeviceSelection(model: "rover", tags: ["field"]),
            [
                new RingDefinition(1m, TimeSpan.FromHours(1), 95m, false),
                new RingDefinition(10m, TimeSpan.FromHours(4), 95m, true),
                new RingDefinition(50m, TimeSpan.FromHours(12), 95m, false),
                new RingDefinition(100m, TimeSpan.Zero, 95m, false),
            ],
            new ErrorThreshold(50, 5m, 20, ErrorThresholdAction.Abort),
            1000,
            TimeSpan.FromMinutes(30),
            2,
            MaintenancePolicy.Always);
        _planner = new RolloutPlanner(definition);
    }

    [Benchmark(Baseline = true, Description = "bare FNV-1a over 1M device ids")]
    public ulong HashDeviceIds()
    {
        ulong sum = 0;
        foreach (var device in _devices)
        {
            var h = 0xcbf29ce484222325UL;
            foreach (var c in device.Id)
                h = (h ^ c) * 0x100000001b3UL;
            sum += h;
        }
        return sum;
    }

    [Benchmark(Description = "cohort bucket of 1M devices")]
    public long AssignCohorts()
    {
        long sum = 0;
        foreach (var device in _devices)
            sum += _planner.BucketOf(device.Id);
        return sum;
    }

    [Benchmark(Description = "ring counts of 1M devices (selection + cohort)")]
    public int[] CountRings() => _planner.CountRings(_devices);

    [Benchmark(Description = "first-ring selection from 1M devices")]
    public int SelectFirstRing()
    {
        var count = 0;
        foreach (var _ in _planner.SelectRing(_devices, 0))
            count++;
        return count;
    }
}
