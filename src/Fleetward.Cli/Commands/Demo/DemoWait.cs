using System.Diagnostics;
using System.Globalization;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// Waits for what the story claims by observing it (through the operator API), and gives up after a deadline with what
/// it saw last, so a claim that did not happen fails with the evidence instead of hanging.
/// </summary>
public static class DemoWait
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(400);

    /// <param name="claim">What should happen, e.g. "the canary ring passes"; named in the failure.</param>
    /// <param name="observe">One observation (an API call).</param>
    /// <param name="holds">Whether the observation shows the claim.</param>
    /// <param name="describe">The observation in words, for the failure message.</param>
    /// <param name="seen">Called with every observation (to move a bar).</param>
    /// <exception cref="DemoClaimException">The claim did not hold within <paramref name="timeout"/>.</exception>
    public static async Task<T> UntilAsync<T>(
        string claim,
        TimeSpan timeout,
        Func<CancellationToken, Task<T>> observe,
        Func<T, bool> holds,
        Func<T, string> describe,
        Action<T>? seen,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var observed = await observe(cancellationToken);
            seen?.Invoke(observed);
            if (holds(observed))
            {
                return observed;
            }
            if (clock.Elapsed >= timeout)
            {
                throw new DemoClaimException(string.Create(CultureInfo.InvariantCulture,
                    $"{claim} did not happen within {timeout.TotalSeconds:0} s; last seen: {describe(observed)}."));
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>Awaits <paramref name="work"/>, calling <paramref name="tick"/> every poll interval meanwhile and once at the end (to move bars).</summary>
    public static async Task<T> WhileAsync<T>(Task<T> work, Action tick)
    {
        while (!work.IsCompleted)
        {
            tick();
            await Task.WhenAny(work, Task.Delay(PollInterval));
        }
        tick();
        return await work;
    }
}
