namespace Fleetward.Core.Detection;

/// <summary>
/// Which detectors run and how they are tuned, fleet-wide. The defaults are set so a benign fleet with realistic
/// variation stays under 0.1 % false-positive incidents per device-day (see DetectionFleetSimulationTests):
/// baselines need both a robust z-score and a practical minimum deviation, and several consecutive datapoints.
/// </summary>
public sealed record DetectionPolicy
{
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);

    public IReadOnlyList<ThresholdRule> Rules { get; init; } = [];
    public IReadOnlyList<BaselineSpec> DeviceBaselines { get; init; } = DefaultDeviceBaselines;
    public IReadOnlyList<BaselineSpec> ModelBaselines { get; init; } = DefaultModelBaselines;

    /// <summary>Null: destinations are not restricted.</summary>
    public NetworkAllowlist? Destinations { get; init; }

    /// <summary>Null: listening ports are not restricted.</summary>
    public PortAllowlist? Listeners { get; init; }

    public int TelnetScanFanOut { get; init; } = 10;
    public TimeSpan TelnetScanWindow { get; init; } = TimeSpan.FromMinutes(5);
    public int RebootBurstThreshold { get; init; } = 3;
    public TimeSpan RebootBurstWindow { get; init; } = TimeSpan.FromHours(1);
    public int GeofenceDatapointsToAlarm { get; init; } = 2;
    public int GeofenceDatapointsToClear { get; init; } = 2;

    /// <summary>Executables replaced by package upgrades show as deleted until their service restarts.</summary>
    public IReadOnlyList<string> DeletedExecutableIgnoredPrefixes { get; init; } = [];

    /// <summary>
    /// Per device, over a day of history (288 slots, one per 5 minutes): power, throughput, CPU and GPS speed
    /// upward. Downward power is left to the model baseline, since a device idles below its daily fences every night.
    /// </summary>
    public static IReadOnlyList<BaselineSpec> DefaultDeviceBaselines { get; } =
    [
        new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 6, minimumDeviation: 5, minimumRelativeDeviation: 0.25, learnInterval: FiveMinutes),
        new(TelemetryMetric.ThroughputBytesPerSecond, DetectionSeverity.Medium, threshold: 8, minimumDeviation: 50_000, minimumRelativeDeviation: 1.0, learnInterval: FiveMinutes),
        new(TelemetryMetric.CpuPercent, DetectionSeverity.Low, threshold: 6, minimumDeviation: 20, learnInterval: FiveMinutes),
        new(TelemetryMetric.GpsDriftMetersPerSecond, DetectionSeverity.Medium, threshold: 8, minimumDeviation: 3, datapointsToAlarm: 2, learnInterval: FiveMinutes),
    ];

    /// <summary>
    /// Per model, over about a day of the population (4096 slots, one per 20 s of fleet time): a device far outside
    /// what its siblings do, in either direction for power.
    /// </summary>
    public static IReadOnlyList<BaselineSpec> DefaultModelBaselines { get; } =
    [
        new(TelemetryMetric.PowerWatts, DetectionSeverity.Medium, threshold: 8, minimumDeviation: 10, minimumRelativeDeviation: 0.5, direction: BaselineDirection.Both,
            window: 4096, minDatapoints: 4000, datapointsToAlarm: 5, datapointsToClear: 5, learnInterval: TimeSpan.FromSeconds(20)),
        new(TelemetryMetric.ThroughputBytesPerSecond, DetectionSeverity.Medium, threshold: 10, minimumDeviation: 100_000, minimumRelativeDeviation: 2.0,
            window: 4096, minDatapoints: 4000, datapointsToAlarm: 5, datapointsToClear: 5, learnInterval: TimeSpan.FromSeconds(20)),
    ];

    /// <summary>Builds the detector list in a fixed order (order decides the order of detections in an outcome).</summary>
    public IReadOnlyList<IDetector> CreateDetectors()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in Rules)
        {
            if (!names.Add(rule.Name)) throw new ArgumentException($"Threshold rule name '{rule.Name}' is used twice.", nameof(Rules));
        }
        var detectors = new List<IDetector>
        {
            new TelnetScanDetector(TelnetScanFanOut, TelnetScanWindow),
            new ListenerTakeoverDetector(),
            new DeletedExecutableDetector(DeletedExecutableIgnoredPrefixes),
            new AgentFailureDetector(),
            new TamperDetector(),
            new GeofenceDetector(GeofenceDatapointsToAlarm, GeofenceDatapointsToClear),
            new RebootBurstDetector(RebootBurstThreshold, RebootBurstWindow),
        };
        if (Destinations is not null) detectors.Add(new DestinationAllowlistDetector(Destinations));
        if (Listeners is not null) detectors.Add(new ListenerAllowlistDetector(Listeners));
        detectors.AddRange(Rules.Select(r => new ThresholdRuleDetector(r)));
        if (DeviceBaselines.Count > 0) detectors.Add(new DeviceBaselineDetector(DeviceBaselines));
        if (ModelBaselines.Count > 0) detectors.Add(new ModelBaselineDetector(ModelBaselines));
        return detectors;
    }
}
