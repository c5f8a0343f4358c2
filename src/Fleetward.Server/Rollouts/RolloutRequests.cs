namespace Fleetward.Server.Rollouts;

/// <summary>
/// Body of POST /api/v1/rollouts. Field names match <see cref="Core.Rollouts.RolloutDefinition"/>'s validation paths
/// (durations carry a Seconds suffix), so every error names the request field at fault.
/// </summary>
/// <param name="Id">Optional; generated when absent. Lowercase letters, digits, '.', '_' and '-', at most 64 characters.</param>
public sealed record CreateRolloutRequest(
    ReleaseSpec Release,
    IReadOnlyList<RingSpec> Rings,
    string? Id = null,
    SelectionSpec? Selection = null,
    ErrorThresholdSpec? ErrorThreshold = null,
    int? MaxDevicesPerMinute = null,
    long? InstallTimeoutSeconds = null,
    int? MaxRetries = null,
    MaintenanceSpec? Maintenance = null);

/// <summary>
/// Which published release to roll out: by <see cref="Id"/>, or by <see cref="Version"/> on <see cref="Channel"/>
/// (stable when absent). Everything else (security version, channel, hardware) comes from the release catalogue
/// (<see cref="RolloutReleaseResolver"/>); a version or channel given beside an id must agree with it.
/// </summary>
public sealed record ReleaseSpec(string? Id = null, string? Version = null, string? Channel = null);

public sealed record SelectionSpec(string? Model = null, IReadOnlyList<string>? Tags = null, IReadOnlyList<string>? CurrentVersions = null, IReadOnlyList<string>? DeviceIds = null);

/// <param name="CumulativePercent">Share of the selection reached once this ring is open.</param>
public sealed record RingSpec(decimal CumulativePercent, long MinimumSoakSeconds = 0, decimal SuccessThresholdPercent = 95m, bool RequiresApproval = false);

/// <param name="Action">pause or abort.</param>
public sealed record ErrorThresholdSpec(int? FailedCount = null, decimal? FailedPercent = null, int MinimumFinished = 1, string Action = "pause");

/// <param name="Schedule">Five-field cron expression of the window's opening.</param>
/// <param name="TimeZone">IANA time zone id the schedule is read in.</param>
public sealed record MaintenanceWindowSpec(string Schedule, long DurationSeconds, string TimeZone);

public sealed record MaintenanceSpec(IReadOnlyList<MaintenanceWindowSpec>? Windows = null, bool SecurityReleasesBypassWindows = false);
