using Fleetward.Core.Policy;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

/// <summary>
/// Whole rollouts driven through the pure pieces the server will wire together: planner, rollout machine,
/// device machine and effects. Devices report every phase; a bad release fails its health check on some devices.
/// </summary>
public class RolloutScenarioTests
{
    private static readonly DateTimeOffset T0 = RolloutSamples.T0;

    private sealed class Simulation(RolloutDefinition definition, int deviceCount, Func<string, bool> healthy)
    {
        public readonly RolloutPlanner Planner = new(definition);
        public readonly List<DeviceFacts> Devices = Enumerable.Range(0, deviceCount).Select(i => RolloutSamples.Device($"dev-{i:D5}")).ToList();
        public readonly Dictionary<string, DeviceAssignment> Assignments = new();
        public RolloutState State = RolloutState.Draft(definition, T0);
        public DateTimeOffset Now = T0;

        public void Start()
        {
            Handle(RolloutStateMachine.Apply(definition, State, new StartRollout(Planner.CountRings(Devices)), Now));
        }

        public void Apply(RolloutEvent e) => Handle(RolloutStateMachine.Apply(definition, State, e, Now));

        /// <summary>One minute of fleet time: assign, let every in-progress device make one step, tick.</summary>
        public void Minute()
        {
            Now = Now.AddMinutes(1);
            var unassigned = Devices.Where(d => !Assignments.ContainsKey(d.Id));
            foreach (var planned in Planner.PlanAssignments(State, unassigned, _ => GateDecision.Allow, Now, 0).ToList())
                Assignments[planned.DeviceId] = DeviceAssignment.Create(definition.Id, planned.DeviceId, planned.RingIndex, planned.Bucket, planned.PreviousVersion, Now);

            foreach (var id in Assignments.Keys.ToList())
            {
                var a = Assignments[id];
                var instruction = DeviceInstruction.For(definition, State, a, GateDecision.Allow, Now);
                DeviceUpdateEvent? e = instruction.Kind switch
                {
                    DeviceInstructionKind.RollBack => new DeviceRollbackCompleted(),
                    DeviceInstructionKind.Install when a.Status == DeviceUpdateStatus.Verifying && !healthy(id) => new DeviceFellBack("health check failed"),
                    DeviceInstructionKind.Install => new DevicePhaseReported(a.Status + 1),
                    _ => null,
                };
                if (e is not null)
                    Report(id, e);
            }
            Apply(new RolloutTick());
        }

        private void Report(string id, DeviceUpdateEvent e)
        {
            var result = RolloutProgress.ApplyDeviceEvent(definition, State, Assignments[id], e, Now);
            Assert.True(result.Device.Accepted, result.Device.Refusal?.Message);
            Assignments[id] = result.Device.Assignment;
            if (result.Rollout is { } rollout)
                Handle(rollout);
        }

        private void Handle(RolloutTransition transition)
        {
            Assert.True(transition.Accepted, transition.Refusal?.Message);
            State = transition.State;
            foreach (var effect in transition.Effects)
            {
                DeviceUpdateEvent? perDevice = effect switch
                {
                    OrderRollback => new DeviceRollbackOrdered(),
                    WithdrawUnstartedAssignments => new DeviceWithdrawn(),
                    _ => null,
                };
                if (perDevice is null)
                    continue;
                foreach (var id in Assignments.Keys.ToList())
                {
                    var t = DeviceUpdateMachine.Apply(definition, Assignments[id], perDevice, Now);
                    if (t.Changed)
                        Assignments[id] = t.Assignment;
                }
            }
        }
    }

    private static RolloutDefinition Definition(ErrorThresholdAction action) => RolloutSamples.Definition(
        rings:
        [
            new RingDefinition(1m, TimeSpan.FromMinutes(30), 95m, false),
            new RingDefinition(10m, TimeSpan.FromMinutes(30), 95m, true),
            new RingDefinition(100m, TimeSpan.Zero, 95m, false),
        ],
        errorThreshold: new ErrorThreshold(null, 20m, 5, action),
        maxDevicesPerMinute: 200);

    [Fact]
    public void Good_release_advances_through_every_ring()
    {
        var sim = new Simulation(Definition(ErrorThresholdAction.Abort), 2000, _ => true);
        sim.Start();
        for (var minute = 0; minute < 120 && sim.State.Status == RolloutStatus.Running; minute++)
        {
            sim.Minute();
            if (sim.State.Rings[1].Status == RingStatus.AwaitingApproval)
                sim.Apply(new ApproveNextRing(1));
        }
        Assert.Equal(RolloutStatus.Completed, sim.State.Status);
        Assert.Equal(2000, sim.Assignments.Count);
        Assert.All(sim.Assignments.Values, a => Assert.Equal(DeviceUpdateStatus.Succeeded, a.Status));
        Assert.Equal(2000, sim.State.Rings.Sum(r => r.Succeeded));
    }

    [Fact]
    public void Bad_canary_aborts_touches_no_device_outside_it_and_rolls_the_canary_back()
    {
        var definition = Definition(ErrorThresholdAction.Abort);
        var sim = new Simulation(definition, 3000, id => int.Parse(id[4..]) % 3 != 0);
        sim.Start();
        for (var minute = 0; minute < 60; minute++)
            sim.Minute();

        Assert.Equal(RolloutStatus.Aborted, sim.State.Status);
        Assert.Equal(RolloutReasonCodes.ErrorThreshold, sim.State.StatusReason);
        Assert.Equal(RingStatus.Failed, sim.State.Rings[0].Status);
        Assert.NotEmpty(sim.Assignments);
        Assert.All(sim.Assignments.Values, a => Assert.Equal(0, a.RingIndex));
        Assert.DoesNotContain(sim.Assignments.Values, a => a.Status is DeviceUpdateStatus.Succeeded or DeviceUpdateStatus.RollbackPending);
        var reverted = sim.Assignments.Values.Count(a => a.Status == DeviceUpdateStatus.RolledBack && a.RollbackOrderedAt is not null);
        Assert.True(reverted > 0);
        Assert.Equal(reverted, sim.State.Rings[0].Reverted);
    }

    [Fact]
    public void Bad_canary_with_pause_action_stops_after_the_canary_until_an_operator_acts()
    {
        var sim = new Simulation(Definition(ErrorThresholdAction.Pause), 3000, id => int.Parse(id[4..]) % 3 != 0);
        sim.Start();
        for (var minute = 0; minute < 60; minute++)
            sim.Minute();

        Assert.Equal(RolloutStatus.Paused, sim.State.Status);
        Assert.All(sim.Assignments.Values, a => Assert.Equal(0, a.RingIndex));

        sim.Apply(new AbortRollout());
        sim.Minute();
        Assert.Equal(RolloutStatus.Aborted, sim.State.Status);
        Assert.DoesNotContain(sim.Assignments.Values, a => a.Status is DeviceUpdateStatus.Succeeded or DeviceUpdateStatus.RollbackPending);
    }
}
