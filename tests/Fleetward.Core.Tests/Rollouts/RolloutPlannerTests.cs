using Fleetward.Core.Policy;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class RolloutPlannerTests
{
    private static readonly GateDecision Refused = new([new GateRefusal(GateRefusalCodes.CertificateRevoked, "revoked")]);

    private static IEnumerable<DeviceFacts> Fleet(int count, string model = "rover") =>
        Enumerable.Range(0, count).Select(i => RolloutSamples.Device($"dev-{i:D6}", model));

    private static RolloutState Running(RolloutDefinition definition, int currentRing = 0)
    {
        var state = RolloutState.Draft(definition, RolloutSamples.T0);
        return state with { Status = RolloutStatus.Running, CurrentRing = currentRing };
    }

    // Values computed from the definition in RolloutCohort's summary by an independent Python implementation.
    [Theory]
    [InlineData("ro-1", "dev-000001", 9176)]
    [InlineData("ro-1", "dev-000002", 4999)]
    [InlineData("ro-2", "dev-000001", 9921)]
    [InlineData("ro-1", "Gerät-ü-😀", 7742)]
    [InlineData("rollout-42", "", 6529)]
    public void Bucket_matches_the_language_neutral_definition(string rolloutId, string deviceId, int bucket)
    {
        Assert.Equal(bucket, new RolloutCohort(rolloutId).BucketOf(deviceId));
    }

    [Fact]
    public void Same_device_gets_the_same_ring_from_every_planner_instance()
    {
        var first = new RolloutPlanner(RolloutSamples.Definition());
        var second = new RolloutPlanner(RolloutSamples.Definition());
        foreach (var device in Fleet(500))
            Assert.Equal(first.RingOf(device.Id), second.RingOf(device.Id));
    }

    [Fact]
    public void Rollout_id_reshuffles_the_cohorts()
    {
        var one = new RolloutCohort("ro-1");
        var two = new RolloutCohort("ro-2");
        var same = Fleet(1000).Count(d => one.BucketOf(d.Id) == two.BucketOf(d.Id));
        Assert.True(same < 10, $"{same} of 1000 devices kept their bucket");
    }

    [Fact]
    public void Buckets_spread_evenly_enough_for_a_one_percent_canary()
    {
        var planner = new RolloutPlanner(RolloutSamples.Definition());
        var counts = planner.CountRings(Fleet(20_000));
        // Expected 200 / 1800 / 18000; three standard deviations is about 42 for the canary.
        Assert.InRange(counts[0], 158, 242);
        Assert.InRange(counts[1], 1800 - 120, 1800 + 120);
        Assert.Equal(20_000, counts.Sum());
    }

    [Fact]
    public void Planning_allocates_nothing_per_device()
    {
        var planner = new RolloutPlanner(RolloutSamples.Definition(selection: new DeviceSelection(model: "rover", tags: ["eu"])));
        var fleet = Enumerable.Range(0, 10_000).Select(i => RolloutSamples.Device(i % 2 == 0 ? $"dev-{i:D6}" : $"gerät-{i:D6}", "rover", "1.0.0", "eu", "lab")).ToArray();
        planner.CountRings(fleet); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var counts = planner.CountRings(fleet);
        var selected = 0;
        foreach (var _ in planner.SelectRing(fleet, 0))
            selected++;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(counts[0], selected);
        Assert.True(allocated < 1024, $"{allocated} bytes for 10,000 devices");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(99, 0)]
    [InlineData(100, 1)]
    [InlineData(999, 1)]
    [InlineData(1000, 2)]
    [InlineData(9999, 2)]
    public void Ring_of_bucket_follows_cumulative_limits(int bucket, int ring)
    {
        Assert.Equal(ring, new RolloutPlanner(RolloutSamples.Definition()).RingOfBucket(bucket));
    }

    [Fact]
    public void Bucket_outside_the_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RolloutPlanner(RolloutSamples.Definition()).RingOfBucket(10_000));
    }

    [Fact]
    public void Invalid_definition_is_refused_by_the_planner()
    {
        Assert.Throws<InvalidRolloutDefinitionException>(() => new RolloutPlanner(RolloutSamples.Definition(rings: [])));
    }

    [Fact]
    public void Ring_counts_leave_out_unselected_devices_and_devices_already_on_the_release()
    {
        var planner = new RolloutPlanner(RolloutSamples.Definition(selection: new DeviceSelection(model: "rover")));
        var devices = Fleet(300).Concat(Fleet(50, "arm")).Append(RolloutSamples.Device("dev-new", version: "2.0.0"));
        Assert.Equal(300, planner.CountRings(devices).Sum());
    }

    [Fact]
    public void First_ring_selection_is_exactly_the_devices_below_its_limit()
    {
        var planner = new RolloutPlanner(RolloutSamples.Definition());
        var fleet = Fleet(5000).ToList();
        var selected = planner.SelectRing(fleet, 0).ToList();
        var expected = fleet.Where(d => planner.BucketOf(d.Id) < 100).Select(d => d.Id).ToList();
        Assert.NotEmpty(selected);
        Assert.Equal(expected, selected);
        Assert.Equal(planner.CountRings(fleet)[0], selected.Count);
    }

    [Fact]
    public void Second_ring_selection_excludes_the_first()
    {
        var planner = new RolloutPlanner(RolloutSamples.Definition());
        var fleet = Fleet(5000).ToList();
        var ring1 = planner.SelectRing(fleet, 1).ToList();
        Assert.All(ring1, id => Assert.Equal(1, planner.RingOf(id)));
        Assert.Empty(ring1.Intersect(planner.SelectRing(fleet, 0)));
    }

    private static (RolloutPlanner Planner, DeviceFacts Canary, DeviceFacts Later) CanaryAndLater(RolloutDefinition definition)
    {
        var planner = new RolloutPlanner(definition);
        var fleet = Fleet(2000).ToList();
        return (planner, fleet.First(d => planner.RingOf(d.Id) == 0), fleet.First(d => planner.RingOf(d.Id) == 2));
    }

    [Fact]
    public void Canary_device_is_assigned_when_every_rule_holds()
    {
        var definition = RolloutSamples.Definition();
        var (planner, canary, _) = CanaryAndLater(definition);
        var decision = planner.Decide(Running(definition), canary, GateDecision.Allow, RolloutSamples.T0, 0);
        Assert.Equal(AssignmentVerdict.Assign, decision.Verdict);
        Assert.Equal(0, decision.RingIndex);
        Assert.Equal(planner.BucketOf(canary.Id), decision.Bucket);
    }

    [Fact]
    public void Nothing_is_assigned_unless_the_rollout_runs()
    {
        var definition = RolloutSamples.Definition();
        var (planner, canary, _) = CanaryAndLater(definition);
        var paused = Running(definition) with { Status = RolloutStatus.Paused };
        Assert.Equal(AssignmentVerdict.RolloutNotRunning, planner.Decide(paused, canary, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Equal(AssignmentVerdict.RolloutNotRunning, planner.Decide(RolloutState.Draft(definition, RolloutSamples.T0), canary, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Completed_rollout_still_assigns_a_straggler_of_any_ring()
    {
        var definition = RolloutSamples.Definition();
        var (planner, _, later) = CanaryAndLater(definition);
        var completed = Running(definition) with { Status = RolloutStatus.Completed, CurrentRing = 2 };
        Assert.Equal(AssignmentVerdict.Assign, planner.Decide(completed, later, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Single(planner.PlanAssignments(completed, [later], _ => GateDecision.Allow, RolloutSamples.T0, 0));
        var cancelled = completed with { Status = RolloutStatus.Cancelled };
        Assert.Equal(AssignmentVerdict.RolloutNotRunning, planner.Decide(cancelled, later, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Unselected_device_is_not_assigned()
    {
        var definition = RolloutSamples.Definition(selection: new DeviceSelection(model: "arm"));
        var (planner, canary, _) = CanaryAndLater(definition);
        Assert.Equal(AssignmentVerdict.NotSelected, planner.Decide(Running(definition), canary, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Device_already_on_the_release_is_not_assigned()
    {
        var definition = RolloutSamples.Definition();
        var (planner, canary, _) = CanaryAndLater(definition);
        var updated = canary with { InstalledVersion = "2.0.0" };
        Assert.Equal(AssignmentVerdict.AlreadyOnRelease, planner.Decide(Running(definition), updated, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Device_on_a_higher_security_version_is_not_offered_a_downgrade()
    {
        var definition = RolloutSamples.Definition(); // release security version 7
        var (planner, canary, _) = CanaryAndLater(definition);
        Assert.Equal(AssignmentVerdict.WouldDowngrade, planner.Decide(Running(definition), canary with { InstalledSecurityVersion = 8 }, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Equal(AssignmentVerdict.Assign, planner.Decide(Running(definition), canary with { InstalledSecurityVersion = 7 }, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Equal(0, planner.CountRings([canary with { InstalledSecurityVersion = 8 }]).Sum());
    }

    [Fact]
    public void Device_of_a_later_ring_waits_until_its_ring_opens()
    {
        var definition = RolloutSamples.Definition();
        var (planner, _, later) = CanaryAndLater(definition);
        Assert.Equal(AssignmentVerdict.RingNotOpen, planner.Decide(Running(definition), later, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Equal(AssignmentVerdict.Assign, planner.Decide(Running(definition, currentRing: 2), later, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Gate_refusal_blocks_and_carries_its_reasons()
    {
        var definition = RolloutSamples.Definition();
        var (planner, canary, _) = CanaryAndLater(definition);
        var decision = planner.Decide(Running(definition), canary, Refused, RolloutSamples.T0, 0);
        Assert.Equal(AssignmentVerdict.GateRefused, decision.Verdict);
        Assert.Equal(GateRefusalCodes.CertificateRevoked, decision.Gate!.Refusals[0].Code);
        Assert.Equal("gate-refused", decision.Verdict.ToCode());
    }

    [Fact]
    public void Device_outside_its_maintenance_window_waits_unless_a_security_release_may_bypass()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var stable = RolloutSamples.Definition(maintenance: new MaintenancePolicy([window], true));
        var (planner, canary, _) = CanaryAndLater(stable);
        Assert.Equal(AssignmentVerdict.OutsideMaintenanceWindow, planner.Decide(Running(stable), canary, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
        Assert.Equal(AssignmentVerdict.Assign, planner.Decide(Running(stable), canary, GateDecision.Allow, new DateTimeOffset(2026, 11, 22, 2, 30, 0, TimeSpan.Zero), 0).Verdict);

        var security = stable with { Release = RolloutSamples.Release with { Channel = ReleaseChannel.Security } };
        var securityPlanner = new RolloutPlanner(security);
        Assert.Equal(AssignmentVerdict.Assign, securityPlanner.Decide(Running(security), canary, GateDecision.Allow, RolloutSamples.T0, 0).Verdict);
    }

    [Fact]
    public void Rate_limit_holds_assignments_once_the_minute_is_used_up()
    {
        var definition = RolloutSamples.Definition(maxDevicesPerMinute: 10);
        var (planner, canary, _) = CanaryAndLater(definition);
        Assert.Equal(AssignmentVerdict.Assign, planner.Decide(Running(definition), canary, GateDecision.Allow, RolloutSamples.T0, 9).Verdict);
        Assert.Equal(AssignmentVerdict.RateLimited, planner.Decide(Running(definition), canary, GateDecision.Allow, RolloutSamples.T0, 10).Verdict);
    }

    [Fact]
    public void Plan_assigns_open_ring_devices_up_to_the_rate_budget()
    {
        var definition = RolloutSamples.Definition(maxDevicesPerMinute: 25);
        var planner = new RolloutPlanner(definition);
        var fleet = Fleet(20_000).ToList();
        var planned = planner.PlanAssignments(Running(definition), fleet, _ => GateDecision.Allow, RolloutSamples.T0, 5).ToList();
        Assert.Equal(20, planned.Count);
        Assert.All(planned, p => Assert.Equal(0, p.RingIndex));
        Assert.All(planned, p => Assert.Equal("1.0.0", p.PreviousVersion));
        Assert.Equal(planner.SelectRing(fleet, 0).Take(20), planned.Select(p => p.DeviceId));
    }

    [Fact]
    public void Plan_skips_and_reports_gate_refusals()
    {
        var definition = RolloutSamples.Definition();
        var planner = new RolloutPlanner(definition);
        var fleet = Fleet(5000).ToList();
        var canaries = planner.SelectRing(fleet, 0).ToList();
        var revoked = canaries[0];
        var refusedIds = new List<string>();
        var planned = planner.PlanAssignments(Running(definition), fleet, d => d.Id == revoked ? Refused : GateDecision.Allow, RolloutSamples.T0, 0,
            (d, _) => refusedIds.Add(d.Id)).ToList();
        Assert.Equal([revoked], refusedIds);
        Assert.Equal(canaries.Skip(1), planned.Select(p => p.DeviceId));
    }

    [Fact]
    public void Plan_is_empty_when_paused_window_closed_or_rate_used_up()
    {
        var window = new MaintenanceWindow(CronSchedule.Parse("0 2 * * *"), TimeSpan.FromHours(1), TimeZoneInfo.Utc);
        var definition = RolloutSamples.Definition(maintenance: new MaintenancePolicy([window], false), maxDevicesPerMinute: 5);
        var planner = new RolloutPlanner(definition);
        var fleet = Fleet(5000).ToList();
        var night = new DateTimeOffset(2026, 11, 22, 2, 10, 0, TimeSpan.Zero);
        Assert.Empty(planner.PlanAssignments(Running(definition), fleet, _ => GateDecision.Allow, RolloutSamples.T0, 0));
        Assert.Empty(planner.PlanAssignments(Running(definition) with { Status = RolloutStatus.Paused }, fleet, _ => GateDecision.Allow, night, 0));
        Assert.Empty(planner.PlanAssignments(Running(definition), fleet, _ => GateDecision.Allow, night, 5));
        Assert.Equal(5, planner.PlanAssignments(Running(definition), fleet, _ => GateDecision.Allow, night, 0).Count());
    }
}
