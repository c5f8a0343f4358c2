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
    private Task? _saver;

    public DetectionEngine Engine { get; } = new(options.Detection);

    public DetectionOutcome Evaluate(TelemetryReport report, DeviceProfile profile, DateTimeOffset now)
    {
        var outcome = Engine.Evaluate(report, profile, now);
        if (outcome.Status == DetectionOutcomeStatus.Scored) _dirty[report.DeviceId] = 0;
        return outcome;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var read = await store.ReadAsync(cancellationToken))
        {
            foreach (var model in await read.DetectionSnapshots.ListModelsAsync(cancellationToken)) Engine.ImportModel(model);
            foreach (var device in await read.DetectionSnapshots.ListDevicesAsync(cancellationToken)) Engine.ImportDevice(device);
        }
        logger.LogInformation("Detection state restored for {Devices} devices", Engine.TrackedDevices);
        _saver = SaveEveryIntervalAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_saver is not null) await _saver;
        await SaveAsync(cancellationToken);
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
