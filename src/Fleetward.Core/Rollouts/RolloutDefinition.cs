namespace Fleetward.Core.Rollouts;

/// <summary>
/// One stage of a rollout. Percentages are cumulative: rings 1, 10, 50, 100 reach 1% of the selected
/// devices, then 10% in total, and so on, so each ring adds the devices between its predecessor and itself.
/// </summary>
/// <param name="CumulativePercent">Share of the selection reached once this ring is open, in (0, 100], to 0.01.</param>
/// <param name="MinimumSoak">How long the ring must stay healthy after reaching its success threshold before advancing.</param>
/// <param name="SuccessThresholdPercent">Share of the ring's devices that must have succeeded before it soaks, in (0, 100].</param>
/// <param name="RequiresApproval">Whether an operator must approve before the next ring opens.</param>
public sealed record RingDefinition(
    decimal CumulativePercent,
    TimeSpan MinimumSoak,
    decimal SuccessThresholdPercent,
    bool RequiresApproval);

/// <summary>What a tripped error threshold does.</summary>
public enum ErrorThresholdAction
{
    /// <summary>Stop assigning and wait for an operator.</summary>
    Pause,
    /// <summary>End the rollout and order devices that installed the release back to their previous one.</summary>
    Abort,
}

/// <summary>Stable text names of error-threshold actions, as stored and as shown in the API.</summary>
public static class ErrorThresholdActionNames
{
    public static string ToName(this ErrorThresholdAction action) => action switch
    {
        ErrorThresholdAction.Pause => "pause",
        ErrorThresholdAction.Abort => "abort",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static bool TryParse(string? name, out ErrorThresholdAction action)
    {
        switch (name)
        {
            case "pause": action = ErrorThresholdAction.Pause; return true;
            case "abort": action = ErrorThresholdAction.Abort; return true;
            default: action = default; return false;
        }
    }
}

/// <summary>
/// When failures in the active ring stop the rollout. Trips once at least <see cref="FailedCount"/> devices
/// of the ring failed, or once at least <see cref="FailedPercent"/> of the ring's finished devices failed and
/// at least <see cref="MinimumFinished"/> have finished (so one early failure in a large ring does not read
/// as 100%). Devices that fell back to their old slot count as failed.
/// </summary>
public sealed record ErrorThreshold(int? FailedCount, decimal? FailedPercent, int MinimumFinished, ErrorThresholdAction Action);

/// <summary>
/// Everything an operator decides when creating a rollout. Immutable once the rollout starts; the
/// moving parts live in <see cref="RolloutState"/>.
/// </summary>
/// <param name="MaxDevicesPerMinute">Assignment rate limit; null for none.</param>
/// <param name="InstallTimeout">How long one attempt may stay in progress (downloading to verifying).</param>
/// <param name="MaxRetries">Extra attempts after a failed or timed-out one.</param>
public sealed record RolloutDefinition(
    string Id,
    ReleaseReference Release,
    DeviceSelection Selection,
    IReadOnlyList<RingDefinition> Rings,
    ErrorThreshold ErrorThreshold,
    int? MaxDevicesPerMinute,
    TimeSpan InstallTimeout,
    int MaxRetries,
    MaintenancePolicy Maintenance)
{
    /// <summary>Cohort buckets per rollout: a device's bucket is in [0, BucketCount), so ring limits have 0.01% resolution.</summary>
    public const int BucketCount = 10_000;

    public const int MaxRings = 20;
    public const int MaxRetriesLimit = 10;

    /// <summary>The exclusive bucket limit of ring <paramref name="ringIndex"/>: devices with a lower bucket belong to it or an earlier ring.</summary>
    public int BucketLimit(int ringIndex) => (int)(Rings[ringIndex].CumulativePercent * 100m);

    /// <summary>Every problem with the definition, each naming its field; empty when valid.</summary>
    public IReadOnlyList<RolloutDefinitionError> Validate()
    {
        var errors = new List<RolloutDefinitionError>();
        void Fail(string field, string message) => errors.Add(new RolloutDefinitionError(field, message));

        if (string.IsNullOrWhiteSpace(Id))
            Fail("id", "is required");

        if (Release is null)
        {
            Fail("release", "is required");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(Release.Id))
                Fail("release.id", "is required");
            if (string.IsNullOrWhiteSpace(Release.Version))
                Fail("release.version", "is required");
            if (Release.SecurityVersion < 0)
                Fail("release.securityVersion", "must not be negative");
            if (!Enum.IsDefined(Release.Channel))
                Fail("release.channel", "must be stable or security");
        }

        if (Selection is null)
        {
            Fail("selection", "is required");
        }
        else
        {
            for (var i = 0; i < Selection.Tags.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(Selection.Tags[i]))
                    Fail($"selection.tags[{i}]", "must not be empty");
            }
            for (var i = 0; i < Selection.CurrentVersions.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(Selection.CurrentVersions[i]))
                    Fail($"selection.currentVersions[{i}]", "must not be empty");
            }
            for (var i = 0; i < Selection.DeviceIds.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(Selection.DeviceIds[i]))
                    Fail($"selection.deviceIds[{i}]", "must not be empty");
            }
        }

        ValidateRings(Fail);
        ValidateErrorThreshold(Fail);

        if (MaxDevicesPerMinute is < 1)
            Fail("maxDevicesPerMinute", "must be at least 1 when given");
        if (InstallTimeout <= TimeSpan.Zero)
            Fail("installTimeout", "must be positive");
        if (MaxRetries < 0 || MaxRetries > MaxRetriesLimit)
            Fail("maxRetries", $"must be between 0 and {MaxRetriesLimit}");

        if (Maintenance is null)
        {
            Fail("maintenance", "is required");
        }
        else
        {
            for (var i = 0; i < Maintenance.Windows.Count; i++)
            {
                var window = Maintenance.Windows[i];
                if (window is null)
                {
                    Fail($"maintenance.windows[{i}]", "is required");
                    continue;
                }
                if (window.Schedule is null)
                    Fail($"maintenance.windows[{i}].schedule", "is required");
                if (window.TimeZone is null)
                    Fail($"maintenance.windows[{i}].timeZone", "is required");
                if (window.Duration <= TimeSpan.Zero || window.Duration > MaintenanceWindow.MaxDuration)
                    Fail($"maintenance.windows[{i}].duration", $"must be positive and at most {MaintenanceWindow.MaxDuration.TotalDays} days");
            }
        }
        return errors;
    }

    /// <exception cref="InvalidRolloutDefinitionException">The definition has at least one error.</exception>
    public RolloutDefinition EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new InvalidRolloutDefinitionException(errors);
        return this;
    }

    private void ValidateRings(Action<string, string> fail)
    {
        if (Rings is null || Rings.Count == 0)
        {
            fail("rings", "at least one ring is required");
            return;
        }
        if (Rings.Count > MaxRings)
            fail("rings", $"at most {MaxRings} rings are allowed");

        var previous = 0m;
        for (var i = 0; i < Rings.Count; i++)
        {
            var ring = Rings[i];
            if (ring is null)
            {
                fail($"rings[{i}]", "is required");
                continue;
            }
            if (ring.CumulativePercent <= 0m || ring.CumulativePercent > 100m)
                fail($"rings[{i}].cumulativePercent", "must be in (0, 100]");
            else if (ring.CumulativePercent * 100m != decimal.Truncate(ring.CumulativePercent * 100m))
                fail($"rings[{i}].cumulativePercent", "must have at most two decimal places");
            else if (ring.CumulativePercent <= previous)
                fail($"rings[{i}].cumulativePercent", $"must be greater than the previous ring's {previous}");
            previous = Math.Max(previous, ring.CumulativePercent);

            if (ring.MinimumSoak < TimeSpan.Zero)
                fail($"rings[{i}].minimumSoak", "must not be negative");
            if (ring.SuccessThresholdPercent <= 0m || ring.SuccessThresholdPercent > 100m)
                fail($"rings[{i}].successThresholdPercent", "must be in (0, 100]");
        }
        if (Rings[^1] is { } last && last.CumulativePercent != 100m)
            fail($"rings[{Rings.Count - 1}].cumulativePercent", "the last ring must reach 100");
    }

    private void ValidateErrorThreshold(Action<string, string> fail)
    {
        if (ErrorThreshold is null)
        {
            fail("errorThreshold", "is required");
            return;
        }
        if (ErrorThreshold.FailedCount is null && ErrorThreshold.FailedPercent is null)
            fail("errorThreshold", "needs a failed count, a failed percentage, or both");
        if (ErrorThreshold.FailedCount is < 1)
            fail("errorThreshold.failedCount", "must be at least 1 when given");
        if (ErrorThreshold.FailedPercent is { } percent && (percent <= 0m || percent > 100m))
            fail("errorThreshold.failedPercent", "must be in (0, 100]");
        if (ErrorThreshold.MinimumFinished < 1)
            fail("errorThreshold.minimumFinished", "must be at least 1");
        if (!Enum.IsDefined(ErrorThreshold.Action))
            fail("errorThreshold.action", "must be pause or abort");
    }
}

/// <summary>One problem with a rollout definition; <see cref="Field"/> is the JSON path of the field at fault.</summary>
public sealed record RolloutDefinitionError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Thrown by <see cref="RolloutDefinition.EnsureValid"/>; carries every error so the API can list them all.</summary>
public sealed class InvalidRolloutDefinitionException(IReadOnlyList<RolloutDefinitionError> errors)
    : ArgumentException("invalid rollout definition: " + string.Join("; ", errors), errors[0].Field)
{
    public IReadOnlyList<RolloutDefinitionError> Errors { get; } = errors;
}
