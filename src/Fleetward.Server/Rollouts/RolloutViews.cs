using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Rollouts;

/// <summary>A rollout as the API shows it: definition, state, ring progress and how many devices are in each update state.</summary>
/// <param name="Devices">Assignments per device update state (assigned … rollback-pending, rolled-back); rollback-pending are the devices returning after an abort.</param>
/// <param name="NextMaintenanceWindow">When devices waiting for a window may next start; null without windows.</param>
public sealed record RolloutView(
    string Id,
    long Version,
    string Status,
    string? StatusReason,
    int CurrentRing,
    ReleaseView Release,
    SelectionSpec Selection,
    ErrorThresholdSpec ErrorThreshold,
    int? MaxDevicesPerMinute,
    long InstallTimeoutSeconds,
    int MaxRetries,
    MaintenanceSpec Maintenance,
    IReadOnlyList<RingView> Rings,
    IReadOnlyDictionary<string, int> Devices,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? NextMaintenanceWindow)
{
    public static RolloutView From(StoredRollout stored, IReadOnlyList<AssignmentCount> counts, DateTimeOffset now)
    {
        var (d, s) = (stored.Definition, stored.State);
        return new RolloutView(
            d.Id, s.Version, s.Status.ToName(), s.StatusReason, s.CurrentRing,
            ReleaseView.From(d.Release),
            new SelectionSpec(d.Selection.Model, d.Selection.Tags, d.Selection.CurrentVersions, d.Selection.DeviceIds),
            new ErrorThresholdSpec(d.ErrorThreshold.FailedCount, d.ErrorThreshold.FailedPercent, d.ErrorThreshold.MinimumFinished, d.ErrorThreshold.Action.ToName()),
            d.MaxDevicesPerMinute, (long)d.InstallTimeout.TotalSeconds, d.MaxRetries,
            new MaintenanceSpec([.. d.Maintenance.Windows.Select(w => new MaintenanceWindowSpec(w.Schedule.Expression, (long)w.Duration.TotalSeconds, w.TimeZone.Id))],
                d.Maintenance.SecurityReleasesBypassWindows),
            [.. d.Rings.Select((ring, i) => RingView.From(i, ring, s.Rings[i], counts.Where(c => c.RingIndex == i)))],
            Tally(counts),
            s.CreatedAt, s.UpdatedAt, s.StartedAt, s.FinishedAt,
            d.Maintenance.Windows.Count == 0 ? null : d.Maintenance.NextOpening(now));
    }

    internal static IReadOnlyDictionary<string, int> Tally(IEnumerable<AssignmentCount> counts)
    {
        var tally = Enum.GetValues<DeviceUpdateStatus>().ToDictionary(s => s.ToName(), _ => 0);
        foreach (var count in counts)
        {
            tally[count.Status.ToName()] += count.Count;
        }
        return tally;
    }
}

public sealed record ReleaseView(string Id, string Version, long SecurityVersion, string Channel)
{
    public static ReleaseView From(ReleaseReference release) => new(release.Id, release.Version, release.SecurityVersion, release.Channel.ToName());
}

/// <param name="Devices">Assignments of this ring per device update state.</param>
public sealed record RingView(
    int Index,
    decimal CumulativePercent,
    long MinimumSoakSeconds,
    decimal SuccessThresholdPercent,
    bool RequiresApproval,
    string Status,
    int TargetDevices,
    int Succeeded,
    int Failed,
    int Reverted,
    IReadOnlyDictionary<string, int> Devices,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? SoakStartedAt,
    DateTimeOffset? FinishedAt)
{
    public static RingView From(int index, RingDefinition ring, RingProgress progress, IEnumerable<AssignmentCount> counts) => new(
        index, ring.CumulativePercent, (long)ring.MinimumSoak.TotalSeconds, ring.SuccessThresholdPercent, ring.RequiresApproval,
        progress.Status.ToName(), progress.TargetDevices, progress.Succeeded, progress.Failed, progress.Reverted,
        RolloutView.Tally(counts), progress.ActivatedAt, progress.SoakStartedAt, progress.FinishedAt);
}

/// <summary>One line of GET /api/v1/rollouts.</summary>
public sealed record RolloutSummaryView(string Id, long Version, string Status, string? StatusReason, int CurrentRing, int RingCount, ReleaseView Release, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static RolloutSummaryView From(StoredRollout stored) => new(
        stored.Definition.Id, stored.State.Version, stored.State.Status.ToName(), stored.State.StatusReason, stored.State.CurrentRing,
        stored.Definition.Rings.Count, ReleaseView.From(stored.Definition.Release), stored.State.CreatedAt, stored.State.UpdatedAt);
}

public sealed record RolloutList(IReadOnlyList<RolloutSummaryView> Items);

/// <summary>One device's assignment with the timestamp of every step of its current attempt.</summary>
public sealed record AssignmentView(
    string DeviceId,
    int Ring,
    int Bucket,
    string Status,
    int Attempt,
    string? PreviousVersion,
    string? FailureReason,
    DateTimeOffset AssignedAt,
    DateTimeOffset StatusChangedAt,
    DateTimeOffset? DownloadingAt,
    DateTimeOffset? DownloadedAt,
    DateTimeOffset? InstallingAt,
    DateTimeOffset? RebootingAt,
    DateTimeOffset? VerifyingAt,
    DateTimeOffset? RollbackOrderedAt,
    DateTimeOffset? FinishedAt)
{
    public static AssignmentView From(DeviceAssignment a) => new(
        a.DeviceId, a.RingIndex, a.Bucket, a.Status.ToName(), a.Attempt, a.PreviousVersion, a.FailureReason, a.AssignedAt, a.StatusChangedAt,
        a.DownloadingAt, a.DownloadedAt, a.InstallingAt, a.RebootingAt, a.VerifyingAt, a.RollbackOrderedAt, a.FinishedAt);
}

/// <summary>One page of a rollout's assignments; pass <see cref="Next"/> as <c>after</c> for the next page (null at the end).</summary>
public sealed record AssignmentPage(IReadOnlyList<AssignmentView> Items, string? Next);
