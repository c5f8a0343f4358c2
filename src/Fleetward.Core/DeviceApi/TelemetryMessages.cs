namespace Fleetward.Core.DeviceApi;

/// <summary>Answer to POST /device/v1/telemetry: reports scored, and reports dropped as repeats or out of order.</summary>
public sealed record IngestReceipt(int Accepted, int Stale);
