using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class MaintenanceWindowTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Theory]
    [InlineData("0 2 * * *", "2026-11-21T02:00", true)]
    [InlineData("0 2 * * *", "2026-11-21T02:01", false)]
    [InlineData("*/15 * * * *", "2026-11-21T10:45", true)]
    [InlineData("*/15 * * * *", "2026-11-21T10:46", false)]
    [InlineData("0 9-17/4 * * *", "2026-11-21T13:00", true)]
    [InlineData("0 9-17/4 * * *", "2026-11-21T15:00", false)]
    [InlineData("30 3 * * MON-FRI", "2026-11-23T03:30", true)]  // Monday
    [InlineData("30 3 * * MON-FRI", "2026-11-21T03:30", false)] // Saturday
    [InlineData("0 0 * * 7", "2026-11-22T00:00", true)]         // Sunday written as 7
    [InlineData("0 0 1,15 JAN,NOV *", "2026-11-15T00:00", true)]
    [InlineData("0 0 1,15 JAN,NOV *", "2026-12-15T00:00", false)]
    [InlineData("0 0 1 * SAT", "2026-11-21T00:00", true)]       // both day fields restricted: either matches
    [InlineData("0 0 1 * SAT", "2026-11-01T00:00", true)]
    [InlineData("0 0 1 * SAT", "2026-11-02T00:00", false)]
    public void Cron_matches_local_minutes(string expression, string local, bool expected)
    {
        Assert.Equal(expected, CronSchedule.Parse(expression).Matches(DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("0 2 * *", "expression")]
    [InlineData("60 2 * * *", "minute")]
    [InlineData("0 24 * * *", "hour")]
    [InlineData("0 0 0 * *", "day-of-month")]
    [InlineData("0 0 * 13 *", "month")]
    [InlineData("0 0 * * 8", "day-of-week")]
    [InlineData("0 5-2 * * *", "hour")]
    [InlineData("*/0 * * * *", "minute")]
    [InlineData("0 0 30 FEB *", "day-of-month")]
    [InlineData("0,,1 * * * *", "minute")]
    [InlineData("x * * * *", "minute")]
    public void Bad_cron_names_the_field(string expression, string field)
    {
        var ex = Assert.Throws<CronFormatException>(() => CronSchedule.Parse(expression));
        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void Window_is_open_for_its_duration_in_its_time_zone()
    {
        // 02:00 Berlin in November is 01:00 UTC.
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(2), Berlin);
        Assert.False(window.IsOpen(new DateTimeOffset(2026, 11, 21, 0, 59, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 1, 0, 0, TimeSpan.Zero), window.OpenedAt(new DateTimeOffset(2026, 11, 21, 1, 0, 0, TimeSpan.Zero)));
        Assert.True(window.IsOpen(new DateTimeOffset(2026, 11, 21, 2, 59, 59, TimeSpan.Zero)));
        Assert.False(window.IsOpen(new DateTimeOffset(2026, 11, 21, 3, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Window_spanning_midnight_stays_open_on_the_next_day()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 23 * * FRI"), TimeSpan.FromHours(4), TimeZoneInfo.Utc);
        Assert.True(window.IsOpen(new DateTimeOffset(2026, 11, 21, 2, 0, 0, TimeSpan.Zero))); // Saturday 02:00
        Assert.False(window.IsOpen(new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Opening_in_a_daylight_saving_gap_moves_past_the_gap()
    {
        // 2026-03-29: Berlin clocks jump from 02:00 to 03:00 (01:00 UTC); 02:30 does not exist that day.
        var window = new MaintenanceWindow(CronSchedule.Parse("30 2 * * *"), TimeSpan.FromMinutes(30), Berlin);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero), window.NextOpening(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero)));
        Assert.True(window.IsOpen(new DateTimeOffset(2026, 3, 29, 1, 45, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Repeated_local_time_opens_once_at_the_earlier_instant()
    {
        // 2026-10-25: Berlin 02:30 happens at 00:30 UTC (summer time) and again at 01:30 UTC.
        var window = new MaintenanceWindow(CronSchedule.Parse("30 2 * * *"), TimeSpan.FromMinutes(30), Berlin);
        Assert.True(window.IsOpen(new DateTimeOffset(2026, 10, 25, 0, 40, 0, TimeSpan.Zero)));
        Assert.False(window.IsOpen(new DateTimeOffset(2026, 10, 25, 1, 40, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Next_opening_finds_the_following_firing()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * SUN"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero), window.NextOpening(RolloutSamples.T0));
    }

    [Fact]
    public void No_windows_permits_always()
    {
        Assert.True(MaintenancePolicy.Always.Permits(RolloutSamples.Release, RolloutSamples.T0));
    }

    [Fact]
    public void Closed_window_holds_a_stable_release_and_a_security_release_without_bypass()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var security = RolloutSamples.Release with { Channel = ReleaseChannel.Security };
        Assert.False(new MaintenancePolicy([window], false).Permits(RolloutSamples.Release, RolloutSamples.T0));
        Assert.False(new MaintenancePolicy([window], false).Permits(security, RolloutSamples.T0));
        Assert.False(new MaintenancePolicy([window], true).Permits(RolloutSamples.Release, RolloutSamples.T0));
    }

    [Fact]
    public void Security_release_bypasses_windows_when_the_policy_says_so()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var security = RolloutSamples.Release with { Channel = ReleaseChannel.Security };
        Assert.True(new MaintenancePolicy([window], true).Permits(security, RolloutSamples.T0));
    }

    [Fact]
    public void Any_open_window_permits()
    {
        var night = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var noon = new MaintenanceWindow(CronSchedule.Parse("0 12 * * *"), TimeSpan.FromMinutes(5), TimeZoneInfo.Utc);
        var policy = new MaintenancePolicy([night, noon], false);
        Assert.True(policy.Permits(RolloutSamples.Release, RolloutSamples.T0));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero), policy.NextOpening(RolloutSamples.T0.AddMinutes(10)));
    }
}
