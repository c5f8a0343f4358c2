namespace Fleetward.Agent.Slots;

/// <summary>
/// Plays the boot loader for simulated devices and tests, over any <see cref="IBootControl"/> backend, with
/// U-Boot's boot-count rule (U-Boot doc "Boot Count Limit", CONFIG_BOOTCOUNT_ENV): when
/// <c>upgrade_available</c> is set each boot increments and saves <c>bootcount</c>; when it exceeds
/// <c>bootlimit</c> the alternative boot switches to the other slot and clears <c>upgrade_available</c>.
/// A slot that fails to come up (see <paramref name="slotBoots"/>) is reset by the watchdog and boots again.
/// The booted slot is recorded in a file, which is what <see cref="Current"/> reads.
/// </summary>
public sealed class SimulatedBootLoader(IBootControl bootControl, string bootedSlotFile, Func<Slot, bool>? slotBoots = null)
    : IRunningSlot, IRebootAction
{
    public Slot Current => SlotNames.Parse(File.ReadAllText(bootedSlotFile), bootedSlotFile);

    /// <summary>Powers the device on and returns the slot that came up.</summary>
    public Slot Boot()
    {
        while (true)
        {
            var environment = bootControl.Read();
            if (environment.UpgradeAvailable)
            {
                environment = environment with { BootCount = environment.BootCount + 1 };
                if (environment.BootCount > environment.BootLimit)
                {
                    environment = environment with { Slot = environment.Slot.Other(), UpgradeAvailable = false };
                }
                bootControl.Write(environment);
            }
            if (slotBoots is null || slotBoots(environment.Slot))
            {
                DurableFile.WriteAllText(bootedSlotFile, environment.Slot.ToName());
                return environment.Slot;
            }
            if (!environment.UpgradeAvailable)
            {
                throw new InvalidOperationException($"slot {environment.Slot.ToName()} does not boot and no fallback is armed");
            }
        }
    }

    public Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
    {
        Boot();
        return Task.FromResult(RebootOutcome.Restarted);
    }
}
