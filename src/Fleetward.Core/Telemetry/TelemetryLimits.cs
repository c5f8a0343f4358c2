namespace Fleetward.Core.Telemetry;

/// <summary>
/// Size bounds on what one device may send, so a compromised device cannot make the server parse or keep
/// unbounded data. The agent trims to the same limits before sending.
/// </summary>
public static class TelemetryLimits
{
    public const int MaxReportBytes = 512 * 1024;
    public const int MaxBatchBytes = 4 * 1024 * 1024;
    public const int MaxReportsPerBatch = 500;
    public const int MaxDeviceIdLength = 128;
    public const int MaxTcpConnections = 4096;
    public const int MaxListeners = 1024;
    public const int MaxDeletedExecutables = 256;
    public const int MaxAgentFailures = 64;
    public const int MaxProcessNameLength = 64;
    public const int MaxPathLength = 4096;
    public const int MaxFailureTextLength = 512;
    public const double MaxIntervalSeconds = 86_400;
    public const double MaxPowerWatts = 100_000;
    public const double MaxGpsAccuracyMeters = 100_000;

    /// <summary>How far ahead of the server's clock a sample time may be (device clocks drift).</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);
}
