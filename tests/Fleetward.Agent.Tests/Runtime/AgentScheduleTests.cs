using Fleetward.Agent.Runtime;

namespace Fleetward.Agent.Tests.Runtime;

public sealed class AgentScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly AgentIntervals Intervals = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3))
    {
        Jitter = 0.1,
        InitialBackoff = TimeSpan.FromSeconds(5),
        MaxBackoff = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public void Every_step_is_due_at_the_start()
    {
        var schedule = new AgentSchedule(Intervals, new Random(1), Start);

        Assert.All(Enum.GetValues<AgentTask>(), task => Assert.True(schedule.IsDue(task, Start)));
        Assert.Equal(Start, schedule.NextDue);
    }

    [Fact]
    public void A_success_waits_one_interval_within_the_jitter()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var schedule = new AgentSchedule(Intervals, new Random(seed), Start);
            schedule.Succeeded(AgentTask.Telemetry, Start);
            Assert.InRange(schedule.DueAt(AgentTask.Telemetry), Start.AddSeconds(108), Start.AddSeconds(132));
        }
    }

    [Fact]
    public void Jitter_spreads_a_fleet_that_started_together()
    {
        var due = Enumerable.Range(0, 20).Select(seed =>
        {
            var schedule = new AgentSchedule(Intervals, new Random(seed), Start);
            schedule.Succeeded(AgentTask.CheckIn, Start);
            return schedule.DueAt(AgentTask.CheckIn);
        }).Distinct().Count();

        Assert.True(due > 10);
    }

    [Fact]
    public void Failures_back_off_exponentially_up_to_the_cap_and_a_success_resets()
    {
        var schedule = new AgentSchedule(Intervals with { Jitter = 0 }, new Random(1), Start);
        var waits = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            schedule.Failed(AgentTask.CheckIn, Start);
            waits.Add((schedule.DueAt(AgentTask.CheckIn) - Start).TotalSeconds);
        }

        Assert.Equal([5, 10, 20, 40, 60, 60], waits);
        Assert.Equal(6, schedule.Failures(AgentTask.CheckIn));
        schedule.Succeeded(AgentTask.CheckIn, Start);
        Assert.Equal(0, schedule.Failures(AgentTask.CheckIn));
        Assert.Equal(Start.AddMinutes(1), schedule.DueAt(AgentTask.CheckIn));
    }

    [Fact]
    public void Retry_after_is_the_minimum_wait()
    {
        var schedule = new AgentSchedule(Intervals with { Jitter = 0 }, new Random(1), Start);

        schedule.Failed(AgentTask.Telemetry, Start, TimeSpan.FromSeconds(30));

        Assert.Equal(Start.AddSeconds(30), schedule.DueAt(AgentTask.Telemetry));
    }

    [Fact]
    public void Due_now_brings_a_step_forward()
    {
        var schedule = new AgentSchedule(Intervals, new Random(1), Start);
        schedule.Succeeded(AgentTask.Enroll, Start);

        schedule.DueNow(AgentTask.Enroll, Start.AddSeconds(3));

        Assert.Equal(Start.AddSeconds(3), schedule.DueAt(AgentTask.Enroll));
    }

    [Theory]
    [InlineData(0, 60, 0.1)]
    [InlineData(60, 30, 0.1)]
    [InlineData(5, 60, 1.0)]
    public void Unworkable_intervals_are_refused(int initialBackoffSeconds, int maxBackoffSeconds, double jitter) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentSchedule(
            Intervals with { InitialBackoff = TimeSpan.FromSeconds(initialBackoffSeconds), MaxBackoff = TimeSpan.FromSeconds(maxBackoffSeconds), Jitter = jitter },
            new Random(1), Start));

    [Fact]
    public void Retry_after_is_capped_at_the_maximum_backoff()
    {
        var schedule = new AgentSchedule(Intervals, new Random(1), Start);

        schedule.Failed(AgentTask.CheckIn, Start, retryAfter: TimeSpan.FromDays(30));

        Assert.Equal(Start + Intervals.MaxBackoff, schedule.DueAt(AgentTask.CheckIn));
    }
}
