using Fleetward.Core.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Detection;

/// <summary>
/// Drains one sink's outbox: sends due events in order in batches, deletes them once the receiver took them, and on
/// failure keeps them and retries with exponential backoff (1 s doubling to 5 min), so an outage delays events but
/// never loses them.
/// </summary>
public sealed class SiemExporter(ISiemTransport transport, IFleetStore store, TimeProvider time, ILogger<SiemExporter> logger) : BackgroundService
{
    public const int BatchSize = 100;
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>Delivers everything due now; returns how many events were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            IReadOnlyList<SiemOutboxEntry> due;
            await using (var read = await store.ReadAsync(cancellationToken))
            {
                due = await read.SiemOutbox.ListDueAsync(transport.Sink, now, BatchSize, cancellationToken);
            }
            if (due.Count == 0) return delivered;
            try
            {
                await transport.SendAsync([.. due.Select(e => SiemEventEnvelope.Read(e.EventJson))], cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var backoff = Backoff(due[0].Attempts);
                logger.LogWarning("SIEM sink {Sink}: delivery failed ({Error}); retrying {Count} events in {Backoff}", transport.Sink, exception.Message, due.Count, backoff);
                await using var work = await store.BeginAsync(cancellationToken);
                foreach (var entry in due) await work.SiemOutbox.RescheduleAsync(entry.Id, now + backoff, exception.Message, cancellationToken);
                await work.CommitAsync(cancellationToken);
                return delivered;
            }
            await using (var work = await store.BeginAsync(cancellationToken))
            {
                foreach (var entry in due) await work.SiemOutbox.DeleteAsync(entry.Id, cancellationToken);
                await work.CommitAsync(cancellationToken);
            }
            delivered += due.Count;
        }
    }

    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempts, 20))));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        try
        {
            do
            {
                try
                {
                    await DeliverDueAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogError(exception, "SIEM sink {Sink}: reading the outbox failed", transport.Sink);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await transport.DisposeAsync();
        }
    }
}
