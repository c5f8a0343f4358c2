using Fleetward.Core.Detection;
using Fleetward.Core.Incidents;

namespace Fleetward.Server.Detection;

/// <summary>
/// How the server detects and responds: the detector and response policies, per-device ingest limits, how often
/// learned baselines are saved, how long a signed command stays valid, and the SIEM sinks events are queued for.
/// </summary>
public sealed record DetectionServerOptions
{
    public DetectionPolicy Detection { get; init; } = new();
    public ResponsePolicy Response { get; init; } = ResponsePolicy.Default;
    public TelemetryRateLimit RateLimit { get; init; } = TelemetryRateLimit.Default;
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan CommandLifetime { get; init; } = TimeSpan.FromHours(12);

    /// <summary>Names of the configured SIEM sinks; each event is queued once per sink.</summary>
    public IReadOnlyList<string> SiemSinks { get; init; } = [];
}
