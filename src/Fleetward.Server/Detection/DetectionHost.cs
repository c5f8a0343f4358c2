using System.Collections.Concurrent;
using Fleetward.Core.Detection;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Detection;

/// <summary>
/// Owns the server's <see cref="DetectionEngine"/>: restores the persisted baselines and last sequences on start,
/// saves the devices scored since the last save every <see cref="DetectionServerOptions.SnapshotInterval"/>, and
/// saves everything once more on shutdown, so a restart neither relearns baselines nor accepts replayed reports.
/// </summary>
public sealed class DetectionHost(IFleetStore store, DetectionServerOptions options, TimeProvider time, ILogger<DetectionHost> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _worker;

    /// <summary>How long to wait before trying again when the store cannot be read at start.</summary>
    public static readonly TimeSpan RestoreRetryInterval = TimeSpan.FromSeconds(5);

    public DetectionEngine Engine { get; } = new(options.Detection);

    public DetectionOutcome Evaluate(TelemetryReport report, DeviceProfile profile, DateTimeOffset now)
    {
        var outcome = Engine.Evaluate(report, profile, now);
        if (outcome.Status == DetectionOutcomeStatus.Scored) _dirty[report.DeviceId] = 0;
        return outcome;
    }

    /// <summary>
    /// Completes once the persisted state is loaded. Ingest waits for it, so no report is scored against an engine
    /// that has not yet learned the last sequences (a replay would pass) or the baselines.
    /// </summary>
    public Task Restored => _restored.Task;

    /// <summary>Restores in the background, so the server starts (and reports itself unready) while the store is down.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _worker = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_worker is not null) await _worker;
        if (_restored.Task.IsCompletedSuccessfully) await SaveAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!_restored.Task.IsCompleted)
        {
            try
            {
                await RestoreAsync(stopping);
                _restored.TrySetResult();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                _restored.TrySetCanceled(stopping);
                return;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Restoring detection state failed; retrying in {Interval}", RestoreRetryInterval);
                try
                {
                    await Task.Delay(RestoreRetryInterval, time, stopping);
                }
                catch (OperationCanceledException)
                {
                    _restored.TrySetCanceled(stopping);
                    return;
                }
            }
        }
        await SaveEveryIntervalAsync(stopping);
    }

    private async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        foreach (var model in await read.DetectionSnapshots.ListModelsAsync(cancellationToken)) Engine.ImportModel(model);
        foreach (var device in await read.DetectionSnapshots.ListDevicesAsync(cancellationToken)) Engine.ImportDevice(device);
        logger.LogInformation("Detection state restored for {Devices} devices", Engine.TrackedDevices);
    }

    /// <summary>Saves the snapshots of devices scored since the last save, and the model baselines, in one unit of work.</summary>
    public async Task<int> SaveAsync(CancellationToken cancellationToken)
    {
        var devices = _dirty.Keys.ToList();
        foreach (var id in devices) _dirty.TryRemove(id, out _);
        var now = time.GetUtcNow();
        try
        {
            await using var work = await store.BeginAsync(cancellationToken);
            foreach (var id in devices)
            {
                if (Engine.ExportDevice(id) is { } snapshot) await work.DetectionSnapshots.SaveDeviceAsync(snapshot, now, cancellationToken);
            }
            foreach (var model in Engine.ExportModels()) await work.DetectionSnapshots.SaveModelAsync(model, now, cancellationToken);
            await work.CommitAsync(cancellationToken);
            return devices.Count;
        }
        catch
        {
            // Try again next time: nothing learned is lost while the process lives.
            foreach (var id in devices) _dirty[id] = 0;
            throw;
        }
    }

    private async Task SaveEveryIntervalAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.SnapshotInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await SaveAsync(stopping);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogError(exception, "Saving detection snapshots failed; retrying at the next interval");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
