using System.Text.Json;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// A rollout loaded under its row lock inside one unit of work: events are applied to it in memory, device
/// events are stored with their assignment, and <see cref="SaveAsync"/> writes the state (compare-and-set on the
/// version read), carries out the effects and appends the audit records, all in the same transaction.
/// Every writer of rollout state goes through here, so the locking rule lives in one place.
/// </summary>
internal sealed class LockedRollout
{
    private const int EffectPageSize = 500;

    private readonly IFleetUnitOfWork _work;
    private readonly RolloutState _original;
    private readonly string _actor;
    private readonly DateTimeOffset _now;
    private readonly List<RolloutEffect> _effects = [];

    private LockedRollout(IFleetUnitOfWork work, StoredRollout stored, string actor, DateTimeOffset now)
    {
        _work = work;
        Definition = stored.Definition;
        _original = stored.State;
        State = stored.State;
        _actor = actor;
        _now = now;
    }

    public RolloutDefinition Definition { get; }

    public RolloutState State { get; private set; }

    /// <summary>Loads the rollout FOR UPDATE (PostgreSQL; SQLite holds the write lock already); null when it does not exist.</summary>
    public static async Task<LockedRollout?> LoadAsync(IFleetUnitOfWork work, string id, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stored = await work.Rollouts.GetAsync(id, RolloutLock.Update, cancellationToken);
        return stored is null ? null : new LockedRollout(work, stored, actor, now);
    }

    /// <summary>Applies a rollout event; a refusal leaves the state as it was.</summary>
    public RolloutTransition Apply(RolloutEvent @event)
    {
        var transition = RolloutStateMachine.Apply(Definition, State, @event, _now);
        if (transition.Accepted)
        {
            State = transition.State;
            _effects.AddRange(transition.Effects);
        }

        return transition;
    }

    /// <summary>Applies a device event to <paramref name="assignment"/>, stores the assignment, and moves the rollout's counters when the device reached an outcome.</summary>
    public async Task<DeviceUpdateTransition> ApplyDeviceAsync(DeviceAssignment assignment, DeviceUpdateEvent @event, CancellationToken cancellationToken)
    {
        var result = RolloutProgress.ApplyDeviceEvent(Definition, State, assignment, @event, _now);
        if (!result.Device.Changed)
        {
            return result.Device;
        }

        if (!await _work.Assignments.UpdateAsync(result.Device.Assignment, assignment.Version, cancellationToken))
        {
            throw new RolloutConcurrencyException($"assignment of device '{assignment.DeviceId}' in rollout '{assignment.RolloutId}' changed while it was being updated");
        }

        if (result.Rollout is { Accepted: true } rollout)
        {
            State = rollout.State;
            _effects.AddRange(rollout.Effects);
        }

        return result.Device;
    }

    /// <summary>Writes the state if it changed, carries out the gathered effects and audits what happened.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (State.Version != _original.Version
            && !await _work.Rollouts.UpdateStateAsync(State, _original.Version, cancellationToken))
        {
            throw new RolloutConcurrencyException($"rollout '{Definition.Id}' changed while it was being updated");
        }

        if (State.Status != _original.Status || State.CurrentRing != _original.CurrentRing)
        {
            await AuditAsync("rollout.status-changed", new
            {
                from = _original.Status.ToName(),
                to = State.Status.ToName(),
                reason = State.StatusReason,
                currentRing = State.CurrentRing,
                version = State.Version,
            }, cancellationToken);
        }

        foreach (var effect in _effects)
        {
            switch (effect)
            {
                case RequestApproval approval:
                    await AuditAsync("rollout.approval-requested", new { ring = approval.RingIndex }, cancellationToken);
                    break;
                case WithdrawUnstartedAssignments:
                    var withdrawn = await ApplyToAssignmentsAsync(
                        [DeviceUpdateStatus.Assigned, DeviceUpdateStatus.Downloading, DeviceUpdateStatus.Downloaded], new DeviceWithdrawn(), cancellationToken);
                    await AuditAsync("rollout.assignments-withdrawn", new { devices = withdrawn }, cancellationToken);
                    break;
                case OrderRollback rollback:
                    var ordered = await ApplyToAssignmentsAsync(
                        [.. Enum.GetValues<DeviceUpdateStatus>().Where(s => s <= DeviceUpdateStatus.Succeeded)], new DeviceRollbackOrdered(), cancellationToken);
                    await AuditAsync("rollout.rollback-ordered", new { releaseId = rollback.ReleaseId, devices = ordered }, cancellationToken);
                    break;
                case OpenRing or HoldAssignments:
                    // Pull-based: check-in re-decides from the stored state, so these need no work here.
                    break;
                default:
                    throw new InvalidOperationException($"unknown rollout effect {effect.GetType().Name}");
            }
        }

        _effects.Clear();
    }

    public Task AuditAsync(string type, object payload, CancellationToken cancellationToken) =>
        _work.Audit.AppendAsync(new AuditEvent(type, _now, _actor, "rollout:" + Definition.Id, JsonSerializer.Serialize(payload)), cancellationToken);

    /// <summary>Applies <paramref name="event"/> to every assignment in <paramref name="statuses"/>; returns how many changed.</summary>
    private async Task<int> ApplyToAssignmentsAsync(IReadOnlyCollection<DeviceUpdateStatus> statuses, DeviceUpdateEvent @event, CancellationToken cancellationToken)
    {
        var changed = 0;
        string? after = null;
        while (true)
        {
            var page = await _work.Assignments.ListByStatusAsync(Definition.Id, statuses, after, EffectPageSize, cancellationToken);
            foreach (var assignment in page)
            {
                var transition = DeviceUpdateMachine.Apply(Definition, assignment, @event, _now);
                if (transition.Changed)
                {
                    if (!await _work.Assignments.UpdateAsync(transition.Assignment, assignment.Version, cancellationToken))
                    {
                        throw new RolloutConcurrencyException($"assignment of device '{assignment.DeviceId}' changed while the rollout's effects were applied");
                    }

                    changed++;
                }
            }

            if (page.Count < EffectPageSize)
            {
                return changed;
            }

            after = page[^1].DeviceId;
        }
    }
}

/// <summary>
/// A compare-and-set write found the row changed by someone else although the row lock was held: a bug or a
/// writer that bypassed the lock. The unit of work is rolled back; the caller may retry.
/// </summary>
public sealed class RolloutConcurrencyException(string message) : Exception(message);
