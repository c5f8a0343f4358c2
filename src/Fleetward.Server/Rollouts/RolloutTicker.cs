using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Time-driven rollout work, one unit of work per rollout under its row lock: fails attempts that exceeded the
/// install timeout (retrying while retries remain), then lets a running rollout end soaks, advance rings or trip
/// its error threshold. Safe to run on every replica at once: the lock serialises them and a repeated tick changes nothing.
/// </summary>
public sealed class RolloutTicker(IFleetStore store, TimeProvider time)
{
    public const string Actor = "system:rollout-worker";
    private const int TimeoutBatch = 500;

    /// <summary>Rollouts whose devices may still be installing: everything but drafts and aborted ones (whose devices were ordered back).</summary>
    private static readonly RolloutStatus[] Tickable = [RolloutStatus.Running, RolloutStatus.Paused, RolloutStatus.Completed, RolloutStatus.Cancelled];

    /// <summary>Ticks every rollout that may have time-driven work; returns how many rollouts changed.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredRollout> rollouts;
        await using (var read = await store.ReadAsync(cancellationToken))
        {
            rollouts = await read.Rollouts.ListAsync(Tickable, 10_000, cancellationToken);
        }
        var changed = 0;
        foreach (var rollout in rollouts)
        {
            if (await TickAsync(rollout.Definition.Id, cancellationToken))
            {
                changed++;
            }
        }
        return changed;
    }

    /// <summary>Ticks one rollout; true when its state changed.</summary>
    public async Task<bool> TickAsync(string rolloutId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(cancellationToken);
        var rollout = await LockedRollout.LoadAsync(work, rolloutId, Actor, now, cancellationToken);
        if (rollout is null)
        {
            return false;
        }
        var version = rollout.State.Version;
        var deadline = now - rollout.Definition.InstallTimeout;
        while (true)
        {
            var expired = await work.Assignments.ListAttemptsStartedBeforeAsync(rolloutId, deadline, TimeoutBatch, cancellationToken);
            var timedOut = 0;
            foreach (var assignment in expired)
            {
                if ((await rollout.ApplyDeviceAsync(assignment, new DeviceUpdateTick(), cancellationToken)).Changed)
                {
                    timedOut++;
                }
            }
            // A full batch that changed nothing would come back unchanged: stop rather than loop.
            if (expired.Count < TimeoutBatch || timedOut == 0)
            {
                break;
            }
        }
        rollout.Apply(new RolloutTick());
        await rollout.SaveAsync(cancellationToken);
        await work.CommitAsync(cancellationToken);
        return rollout.State.Version != version;
    }
}
