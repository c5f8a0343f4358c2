using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

/// <summary>Valid definitions that individual tests change one field of.</summary>
internal static class RolloutSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public static ReleaseReference Release { get; } = new("rel-2.0.0", "2.0.0", 7, ReleaseChannel.Stable);

    public static RolloutDefinition Definition(
        IReadOnlyList<RingDefinition>? rings = null,
        ErrorThreshold? errorThreshold = null,
        MaintenancePolicy? maintenance = null,
        int? maxDevicesPerMinute = null,
        int maxRetries = 1,
        DeviceSelection? selection = null,
        ReleaseReference? release = null) =>
        new(
            "ro-1",
            release ?? Release,
            selection ?? DeviceSelection.All,
            rings ??
            [
                new RingDefinition(1m, TimeSpan.FromHours(1), 90m, false),
                new RingDefinition(10m, TimeSpan.FromHours(1), 90m, true),
                new RingDefinition(100m, TimeSpan.Zero, 90m, false),
            ],
            errorThreshold ?? new ErrorThreshold(5, 20m, 10, ErrorThresholdAction.Pause),
            maxDevicesPerMinute,
            TimeSpan.FromMinutes(30),
            maxRetries,
            maintenance ?? MaintenancePolicy.Always);

    public static DeviceFacts Device(string id, string model = "rover", string? version = "1.0.0", params string[] tags) =>
        new(id, model, tags, version);
}
