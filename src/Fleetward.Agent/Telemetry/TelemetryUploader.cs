namespace Fleetward.Agent.Telemetry;

/// <summary>Delivers a batch of encoded reports to the server (over mutual TLS); false or an exception means not delivered.</summary>
public interface ITelemetrySink
{
    Task<bool> SendAsync(IReadOnlyList<byte[]> reports, CancellationToken cancellationToken);
}

/// <summary>How often to report and how large one upload may be.</summary>
public sealed record TelemetryUploadOptions(TimeSpan Interval, int MaxBatchReports = 100, long MaxBatchBytes = 256 * 1024);

/// <summary>What one reporting round did: reports delivered, and the delivery error if the server was unreachable.</summary>
public sealed record UploadRound(int Delivered, string? Error);

/// <summary>
/// The reporting loop (issue 7, device item 2): each interval it takes a snapshot, encodes it with the
/// wire mapping it is given, appends it to the on-disk <see cref="ReportBuffer"/>, and then drains the
/// buffer oldest first in bounded batches; a batch is acknowledged only after the server accepted it, so
/// an unreachable server leaves reports buffered for the next round.
/// </summary>
public sealed class TelemetryUploader(
    TelemetryCollector collector,
    Func<SystemSnapshot, byte[]> encode,
    ReportBuffer buffer,
    ITelemetrySink sink,
    TelemetryUploadOptions options,
    TimeProvider clock)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Interval, clock);
        do
        {
            await RoundAsync(cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<UploadRound> RoundAsync(CancellationToken cancellationToken)
    {
        buffer.Append(encode(collector.Collect()));
        var delivered = 0;
        while (true)
        {
            var batch = buffer.ReadBatch(options.MaxBatchReports, options.MaxBatchBytes);
            if (batch.Count == 0)
            {
                return new UploadRound(delivered, null);
            }
            string? error;
            try
            {
                error = await sink.SendAsync(batch.Select(report => report.Payload).ToList(), cancellationToken).ConfigureAwait(false)
                    ? null
                    : "server did not accept the batch";
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                error = failure.Message;
            }
            if (error is not null)
            {
                return new UploadRound(delivered, error);
            }
            buffer.Acknowledge(batch[^1]);
            delivered += batch.Count;
        }
    }
}
