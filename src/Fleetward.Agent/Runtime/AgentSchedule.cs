namespace Fleetward.Agent.Runtime;

/// <summary>The agent's recurring steps.</summary>
public enum AgentTask
{
    Enroll,
    CheckIn,
    Telemetry,
    Commands,
}

/// <summary>
/// When each step of the agent is due next: after a success one jittered interval later, after a failure an
/// exponential, jittered backoff (capped), never sooner than a Retry-After the server sent, itself capped at the
/// maximum backoff. Takes the instant and the
/// random source, so every rule is testable at any time.
/// </summary>
public sealed class AgentSchedule
{
    private readonly AgentIntervals intervals;
    private readonly Random random;
    private readonly Dictionary<AgentTask, DateTimeOffset> due = [];
    private readonly Dictionary<AgentTask, int> failures = [];

    /// <summary>Every step is due at <paramref name="start"/>.</summary>
    public AgentSchedule(AgentIntervals intervals, Random random, DateTimeOffset start)
    {
        this.intervals = intervals.Validated();
        this.random = random;
        foreach (var task in Enum.GetValues<AgentTask>())
        {
            due[task] = start;
            failures[task] = 0;
        }
    }

    public DateTimeOffset DueAt(AgentTask task) => due[task];

    public bool IsDue(AgentTask task, DateTimeOffset now) => due[task] <= now;

    /// <summary>Consecutive failures of <paramref name="task"/>.</summary>
    public int Failures(AgentTask task) => failures[task];

    /// <summary>The earliest instant any step is due.</summary>
    public DateTimeOffset NextDue => due.Values.Min();

    public void Succeeded(AgentTask task, DateTimeOffset now)
    {
        failures[task] = 0;
        due[task] = now + Jittered(Interval(task));
    }

    public void Failed(AgentTask task, DateTimeOffset now, TimeSpan? retryAfter = null)
    {
        var count = ++failures[task];
        var backoff = TimeSpan.FromTicks((long)Math.Min(intervals.MaxBackoff.Ticks, intervals.InitialBackoff.Ticks * Math.Pow(2, Math.Min(count - 1, 30))));
        var wait = Jittered(backoff);
        if (retryAfter is { } minimum && wait < minimum)
        {
            // Capped: a Retry-After of days from a compromised or broken server must not silence the device.
            wait = minimum < intervals.MaxBackoff ? minimum : intervals.MaxBackoff;
        }
        due[task] = now + wait;
    }

    /// <summary>Makes a step due at once (a command asked for a check-in, an identity change needs enrollment).</summary>
    public void DueNow(AgentTask task, DateTimeOffset now) => due[task] = now;

    private TimeSpan Interval(AgentTask task) => task switch
    {
        AgentTask.Telemetry => intervals.Telemetry,
        AgentTask.Commands => intervals.Commands,
        _ => intervals.CheckIn,
    };

    private TimeSpan Jittered(TimeSpan value) =>
        TimeSpan.FromTicks((long)(value.Ticks * (1 + intervals.Jitter * (2 * random.NextDouble() - 1))));
}
