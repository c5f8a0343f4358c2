namespace Fleetward.Simulator;

/// <summary>
/// Virtual time for a simulated fleet (and, in one process, the server beside it): it stands still until the
/// simulator moves it to the next instant something is due, so a simulated day passes in seconds and every run with
/// the same seed sees the same instants. Only moves forward. Timers and delays are not virtual; the simulator's
/// scheduler never waits on this clock.
/// </summary>
public sealed class SimulationClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    /// <summary>Moves the clock to <paramref name="instant"/>; an earlier instant leaves it where it is.</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        var target = instant.UtcTicks;
        long current;
        while ((current = Interlocked.Read(ref _ticks)) < target && Interlocked.CompareExchange(ref _ticks, target, current) != current)
        {
        }
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _ticks, by.Ticks);
    }
}
