using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Updates;

/// <summary>
/// Keeps the repository fresh: re-signs timestamp and snapshot (and targets roles whose keys the server holds) before
/// they expire, so devices never see expired metadata while the server runs. A stopped server makes the timestamp
/// expire within its lifetime, which is how TUF clients notice a frozen repository (indefinite freeze attacks).
/// </summary>
public sealed class TufResigningService(TufRepositoryService repository, TimeProvider time, ILogger<TufResigningService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(repository.Settings.ResignCheckInterval, time);
        try
        {
            await RunAsync(timer, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        do
        {
            try
            {
                var roles = await repository.RefreshDueAsync(stoppingToken);
                if (roles.Count > 0) logger.LogInformation("Re-signed TUF metadata before expiry: {Roles}", string.Join(", ", roles));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Re-signing TUF metadata failed; retrying at the next check");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
