using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Time-driven rollout work, one unit of work per rollout under its row lock: fails attempts that exceeded the
/// install timeout (retrying while retries remain), marks devices of an aborted rollout that did not report back
/// within <paramref name="rollbackTimeout"/> rollback-unresponsive, then lets a running rollout end soaks, advance
/// rings or trip its error threshold. Safe to run on every replica at once: the lock serialises them and a repeated
/// tick changes nothing.
/// </summary>
public sealed class RolloutTicker(IFleetStore store, TimeProvider time, TimeSpan rollbackTimeout)
{
    public const string Actor = "system:rollout-worker";

    /// <summary>How long a device ordered back may stay silent before it counts as rollback-unresponsive, unless configured.</summary>
    public static readonly TimeSpan DefaultRollbackTimeout = TimeSpan.FromHours(24);

    private const int TimeoutBatch = 500;

    /// <summary>Rollouts with time-driven work: devices may still be installing, or (aborted) still owe their rollback. Not drafts.</summary>
    private static readonly RolloutStatus[] Tickable = [RolloutStatus.Running, RolloutStatus.Paused, RolloutStatus.Completed, RolloutStatus.Cancelled, RolloutStatus.Aborted];

    private static readonly DeviceUpdateStatus[] RollbackPending = [DeviceUpdateStatus.RollbackPending];

    public RolloutTicker(IFleetStore store, TimeProvider time)
        : this(store, time, DefaultRollbackTimeout)
    {
    }

    /// <summary>Ticks every rollout that may have time-driven work; returns how many rollouts changed.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var rollouts = new List<StoredRollout>();
        await using (var read = await store.ReadAsync(cancellationToken))
        {
            foreach (var rollout in await read.Rollouts.ListAsync(Tickable, 10_000, cancellationToken))
            {
                // An aborted rollout only has work while devices still owe their rollback: skip the write lock otherwise.
                if (rollout.State.Status != RolloutStatus.Aborted
                    || (await read.Assignments.ListByStatusAsync(rollout.Definition.Id, RollbackPending, null, 1, cancellationToken)).Count > 0)
                {
                    rollouts.Add(rollout);
                }
            }
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
        if (rollout.State.Status == RolloutStatus.Aborted)
        {
            var unresponsive = await MarkUnresponsiveRollbacksAsync(rollout, work, now, cancellationToken);
            await rollout.SaveAsync(cancellationToken);
            if (unresponsive > 0)
            {
                await rollout.AuditAsync("rollout.rollbacks-unresponsive", new { devices = unresponsive, timeoutSeconds = (long)rollbackTimeout.TotalSeconds }, cancellationToken);
            }
            await work.CommitAsync(cancellationToken);
            return unresponsive > 0;
        }
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

    /// <summary>Applies the rollback timeout to the rollout's rollback-pending devices; returns how many became unresponsive.</summary>
    private async Task<int> MarkUnresponsiveRollbacksAsync(LockedRollout rollout, IFleetUnitOfWork work, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var tick = new DeviceUpdateTick(rollbackTimeout);
        var changed = 0;
        string? after = null;
        while (true)
        {
            var page = await work.Assignments.ListByStatusAsync(rollout.Definition.Id, RollbackPending, after, TimeoutBatch, cancellationToken);
            foreach (var assignment in page)
            {
                if (assignment.RollbackOrderedAt is { } ordered && now - ordered >= rollbackTimeout
                    && (await rollout.ApplyDeviceAsync(assignment, tick, cancellationToken)).Changed)
                {
                    changed++;
                }
            }
            if (page.Count < TimeoutBatch)
            {
                return changed;
            }
            after = page[^1].DeviceId;
        }
    }
}
