using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Rollouts;

/// <summary>Runs <see cref="RolloutTicker"/> on a fixed period (on the injected clock) for as long as the server runs.</summary>
public sealed class RolloutWorker(RolloutTicker ticker, TimeProvider time, ILogger<RolloutWorker> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                var changed = await ticker.TickAsync(stoppingToken);
                if (changed > 0)
                {
                    logger.LogInformation("Rollout tick changed {Count} rollout(s)", changed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failed tick (database restart, lock timeout) must not end the worker; the next tick retries.
                logger.LogError(e, "Rollout tick failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
