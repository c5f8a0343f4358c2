using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

/// <summary>
/// Issue 5, device item 3: the install is cut at every durable step (power loss: the boot loader runs
/// again; process crash: it does not), a fresh installer resumes over the same directory, and the device
/// must come up on a slot holding a complete verified image and report the right final state.
/// </summary>
public sealed class PowerLossTests
{
    private static readonly byte[] Factory = Images.Make("v1", 9_000);
    private static readonly byte[] Release = Images.Make("v2", 10_000);
    private static readonly SlotInstallerOptions Options = new(BootLimit: 3, ChunkSize: 4096);

    public sealed record Scenario(string Name, bool Healthy, bool NewSlotBoots, InstallState Expected, Slot ExpectedSlot, string? ReasonPrefix)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Scenario, bool> Scenarios()
    {
        var data = new TheoryData<Scenario, bool>();
        foreach (var powerLoss in new[] { true, false })
        {
            data.Add(new Scenario("healthy", true, true, InstallState.Succeeded, Slot.B, null), powerLoss);
            data.Add(new Scenario("unhealthy", false, true, InstallState.RolledBack, Slot.A, "health check failed"), powerLoss);
            data.Add(new Scenario("does-not-boot", true, false, InstallState.RolledBack, Slot.A, "boot limit exceeded"), powerLoss);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_interruption_point_recovers_to_a_verified_slot(Scenario scenario, bool powerLoss)
    {
        var clean = await RunWithCrashAt(scenario, int.MaxValue, powerLoss, secondCrash: int.MaxValue);
        Assert.Equal(scenario.Expected, clean.Final.State);
        var steps = clean.Steps;
        var firstWritten = steps.IndexOf(InstallStep.JournalWritten);
        Assert.True(steps.Count > 8 && firstWritten > 0, string.Join(",", steps));

        for (var k = 1; k <= steps.Count; k++)
        {
            var run = await RunWithCrashAt(scenario, k, powerLoss, secondCrash: int.MaxValue);
            var interruptedWhileWriting = k <= firstWritten;
            var context = $"{scenario.Name}, crash after step {k} ({steps[k - 1]}), power loss {powerLoss}";
            Assert.True(run.Crashed, context);
            Assert.Equal(interruptedWhileWriting ? InstallState.Failed : scenario.Expected, run.Final.State);
            Assert.Equal(interruptedWhileWriting ? Slot.A : scenario.ExpectedSlot, run.Final.RunningSlot);
            if (interruptedWhileWriting)
            {
                Assert.StartsWith("interrupted while writing", run.Final.Reason);
            }
            else if (scenario.ReasonPrefix is { } prefix)
            {
                Assert.StartsWith(prefix, run.Final.Reason);
            }
            else
            {
                Assert.Null(run.Final.Reason);
            }
        }
    }

    [Fact]
    public async Task A_second_power_loss_during_recovery_still_recovers()
    {
        var scenario = new Scenario("healthy", true, true, InstallState.Succeeded, Slot.B, null);
        var steps = (await RunWithCrashAt(scenario, int.MaxValue, true, int.MaxValue)).Steps;
        var firstWritten = steps.IndexOf(InstallStep.JournalWritten);
        for (var k = firstWritten + 1; k <= steps.Count; k++)
        {
            for (var second = 1; second <= 8; second++)
            {
                var run = await RunWithCrashAt(scenario, k, powerLoss: true, secondCrash: second);
                Assert.Equal(new InstallStatus("v2", InstallState.Succeeded, null, Slot.B), run.Final);
            }
        }
    }

    private sealed record Run(bool Crashed, List<InstallStep> Steps, InstallStatus Final);

    private static async Task<Run> RunWithCrashAt(Scenario scenario, int crashAt, bool powerLoss, int secondCrash)
    {
        using var directory = new TemporaryDirectory();
        Func<Slot, bool> slotBoots = slot => slot == Slot.A || scenario.NewSlotBoots;
        var device = SimulatedSlotDevice.Create(directory.Path, Factory, bootLimit: Options.BootLimit, slotBoots: slotBoots);
        var crash = new PowerLossAt(crashAt);
        var crashed = false;
        try
        {
            await device.CreateInstaller(Images.Health(scenario.Healthy), Options, crash).InstallAsync(Images.Verified("v2", Release), default);
        }
        catch (PowerLossException)
        {
            crashed = true;
        }

        var final = await Restart(directory.Path, scenario, slotBoots, powerLoss, new PowerLossAt(secondCrash));
        if (final is null)
        {
            final = await Restart(directory.Path, scenario, slotBoots, powerLoss, new PowerLossAt(int.MaxValue));
        }
        Assert.NotNull(final);

        // The state survives another restart unchanged, and the device is settled on a complete image.
        var reopened = SimulatedSlotDevice.Open(directory.Path, slotBoots: slotBoots);
        Assert.Equal(final, reopened.CreateInstaller(Images.Health(scenario.Healthy), Options).Status);
        var environment = reopened.BootControl.Read();
        Assert.False(environment.UpgradeAvailable);
        Assert.Equal(final.RunningSlot, environment.Slot);
        Assert.True(Images.HoldsOneOf(reopened.Slots, final.RunningSlot, final.RunningSlot == Slot.A ? Factory : Release));
        return new Run(crashed, crash.Steps, final);
    }

    /// <summary>Restarts the device (with a boot on power loss) and resumes; null when the injected crash hit again.</summary>
    private static async Task<InstallStatus?> Restart(string directory, Scenario scenario, Func<Slot, bool> slotBoots, bool powerLoss, PowerLossAt crash)
    {
        var device = SimulatedSlotDevice.Open(directory, slotBoots: slotBoots);
        if (powerLoss)
        {
            var booted = device.PowerCycle();
            Assert.True(Images.HoldsOneOf(device.Slots, booted, Factory, Release), $"booted slot {booted} holds no complete image");
        }
        try
        {
            return await device.CreateInstaller(Images.Health(scenario.Healthy), Options, crash).ResumeAsync(default);
        }
        catch (PowerLossException)
        {
            return null;
        }
    }

    private sealed class PowerLossException(InstallStep step) : Exception($"power lost after {step}");

    private sealed class PowerLossAt(int k) : IInstallStepObserver
    {
        public List<InstallStep> Steps { get; } = [];

        public void Reached(InstallStep step)
        {
            Steps.Add(step);
            if (Steps.Count == k)
            {
                throw new PowerLossException(step);
            }
        }
    }
}
