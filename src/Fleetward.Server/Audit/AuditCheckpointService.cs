using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Audit;

/// <summary>
/// Signs a checkpoint at start and then every interval, when the log has grown, so auditors always find a recent
/// signed tree head. A failure is logged and retried at the next tick; it never stops the server.
/// </summary>
public sealed class AuditCheckpointService(AuditCheckpointer checkpointer, TimeSpan interval, TimeProvider time, ILogger<AuditCheckpointService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                var result = await checkpointer.CheckpointAsync(stoppingToken);
                if (result.Created)
                {
                    logger.LogInformation("Signed audit checkpoint {Origin} at tree size {TreeSize}", checkpointer.Origin, result.Checkpoint.TreeSize);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Signing the audit checkpoint failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
