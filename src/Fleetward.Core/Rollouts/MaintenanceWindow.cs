namespace Fleetward.Core.Rollouts;

/// <summary>
/// A recurring period during which devices may be told to update: opens at each firing of
/// <see cref="Schedule"/> (local time in <see cref="TimeZone"/>) and stays open for <see cref="Duration"/>.
/// Local times that fall into a daylight-saving gap open at the first instant after the gap;
/// local times that occur twice open at the earlier one.
/// </summary>
public sealed record MaintenanceWindow(CronSchedule Schedule, TimeSpan Duration, TimeZoneInfo TimeZone)
{
    /// <summary>Longest window accepted; it also bounds how far back an open window is searched.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>Longest look-ahead for <see cref="NextOpening"/> (covers leap-day schedules).</summary>
    private const int LookAheadDays = 366 * 8;

    /// <summary>
    /// More than any UTC offset change at one transition: a candidate whose local time is further than this from
    /// the local now cannot be on the other side of now, so it is skipped without a time-zone conversion.
    /// </summary>
    private static readonly TimeSpan OffsetSlack = TimeSpan.FromHours(3);

    public bool IsOpen(DateTimeOffset now) => OpenedAt(now) is not null;

    /// <summary>The opening of the window that contains <paramref name="now"/>, or null when closed.</summary>
    public DateTimeOffset? OpenedAt(DateTimeOffset now)
    {
        var localNow = TimeZoneInfo.ConvertTime(now, TimeZone).DateTime;
        var firstDay = TimeZoneInfo.ConvertTime(now - Duration, TimeZone).DateTime.Date.AddDays(-1);
        for (var day = localNow.Date.AddDays(1); day >= firstDay; day = day.AddDays(-1))
        {
            if (!Schedule.MatchesDay(day))
                continue;
            for (var hour = 23; hour >= 0; hour--)
            {
                if (!Schedule.HasHour(hour))
                    continue;
                for (var minute = 59; minute >= 0; minute--)
                {
                    if (!Schedule.HasMinute(minute))
                        continue;
                    var local = day.AddHours(hour).AddMinutes(minute);
                    if (local > localNow + OffsetSlack)
                        continue;
                    var opening = ToInstant(local);
                    if (opening > now)
                        continue;
                    return now < opening + Duration ? opening : null;
                }
            }
        }
        return null;
    }

    /// <summary>The first opening strictly after <paramref name="now"/>, or null if none within eight years.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        var localNow = TimeZoneInfo.ConvertTime(now, TimeZone).DateTime;
        var lastDay = localNow.Date.AddDays(LookAheadDays);
        for (var day = localNow.Date.AddDays(-1); day <= lastDay; day = day.AddDays(1))
        {
            if (!Schedule.MatchesDay(day))
                continue;
            for (var hour = 0; hour < 24; hour++)
            {
                if (!Schedule.HasHour(hour))
                    continue;
                for (var minute = 0; minute < 60; minute++)
                {
                    if (!Schedule.HasMinute(minute))
                        continue;
                    var local = day.AddHours(hour).AddMinutes(minute);
                    if (local < localNow - OffsetSlack)
                        continue;
                    var opening = ToInstant(local);
                    if (opening > now)
                        return opening;
                }
            }
        }
        return null;
    }

    private DateTimeOffset ToInstant(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (TimeZone.IsInvalidTime(local))
            offset = TimeZone.GetUtcOffset(local.AddDays(-1));
        else if (TimeZone.IsAmbiguousTime(local))
            offset = TimeZone.GetAmbiguousTimeOffsets(local).Max();
        else
            offset = TimeZone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }
}

/// <summary>
/// When devices may be updated. No windows means always. Security-channel releases ignore the windows
/// only when <see cref="SecurityReleasesBypassWindows"/> is set.
/// </summary>
public sealed record MaintenancePolicy(IReadOnlyList<MaintenanceWindow> Windows, bool SecurityReleasesBypassWindows)
{
    public static MaintenancePolicy Always { get; } = new([], false);

    /// <summary>True when a device may start updating to <paramref name="release"/> at <paramref name="now"/>.</summary>
    public bool Permits(ReleaseReference release, DateTimeOffset now)
    {
        if (Windows.Count == 0)
            return true;
        if (SecurityReleasesBypassWindows && release.Channel == ReleaseChannel.Security)
            return true;
        for (var i = 0; i < Windows.Count; i++)
        {
            if (Windows[i].IsOpen(now))
                return true;
        }
        return false;
    }

    /// <summary>The next instant any window opens, for telling an operator how long devices will wait.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var window in Windows)
        {
            var opening = window.NextOpening(now);
            if (opening is not null && (next is null || opening < next))
                next = opening;
        }
        return next;
    }
}
