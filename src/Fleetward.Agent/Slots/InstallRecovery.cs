namespace Fleetward.Agent.Slots;

/// <summary>What the installer must do next to finish an unfinished install.</summary>
public enum RecoveryAction
{
    /// <summary>The install is finished; nothing to do.</summary>
    None,

    /// <summary>The image was not completely written; record the failure (the boot environment was never touched).</summary>
    MarkFailed,

    /// <summary>The image is written and synced but no trial is armed yet: arm it and reboot.</summary>
    ArmTrialAndReboot,

    /// <summary>The trial is armed but the new slot has not booted yet.</summary>
    Reboot,

    /// <summary>Running the trial slot: run the health check, then commit or fall back.</summary>
    Verify,

    /// <summary>The trial was committed; only the journal is behind.</summary>
    MarkSucceeded,

    /// <summary>Running the previous slot again after a fallback.</summary>
    MarkRolledBack,

    /// <summary>Still running the trial slot that must be left: point the boot environment back and reboot.</summary>
    FallBack,
}

/// <summary>The next step together with the reason to record (for failures and rollbacks).</summary>
public sealed record RecoveryDecision(RecoveryAction Action, string? Reason = null);

/// <summary>
/// Decides, from facts only (journal, boot environment, slot running now), how to continue an install after
/// any interruption. Pure so each case has its own test; the installer writes the journal before every
/// boot-environment change so each reachable combination appears here.
/// </summary>
public static class InstallRecovery
{
    public static RecoveryDecision Decide(InstallJournal? journal, BootEnvironment environment, Slot running)
    {
        if (journal is null || journal.IsFinished)
        {
            return new(RecoveryAction.None);
        }
        var target = journal.Target;
        var previous = journal.Previous;
        switch (journal.Phase)
        {
            case InstallPhase.Writing:
                return new(RecoveryAction.MarkFailed, $"interrupted while writing the image to slot {target.ToName()}");
            case InstallPhase.FallingBack:
                return running == previous
                    ? new(RecoveryAction.MarkRolledBack, journal.Reason)
                    : new(RecoveryAction.FallBack, journal.Reason);
        }

        // Written, Rebooting or Verifying.
        if (environment.UpgradeAvailable && environment.Slot == target)
        {
            return running == target ? new(RecoveryAction.Verify) : new(RecoveryAction.Reboot);
        }
        if (!environment.UpgradeAvailable && environment.Slot == target && running == target)
        {
            return new(RecoveryAction.MarkSucceeded);
        }
        if (!environment.UpgradeAvailable && environment.Slot == previous)
        {
            if (environment.BootCount > environment.BootLimit)
            {
                // U-Boot "Boot Count Limit": the boot loader ran altbootcmd and returned to the previous slot.
                return running == previous
                    ? new(RecoveryAction.MarkRolledBack, $"boot limit exceeded: slot {target.ToName()} booted {environment.BootCount} times, limit {environment.BootLimit}")
                    : new(RecoveryAction.FallBack, "boot limit exceeded");
            }
            if (journal.Phase == InstallPhase.Written && running == previous)
            {
                return new(RecoveryAction.ArmTrialAndReboot);
            }
            var reason = $"boot environment was returned to slot {previous.ToName()}";
            return running == previous ? new(RecoveryAction.MarkRolledBack, reason) : new(RecoveryAction.FallBack, reason);
        }
        return new(RecoveryAction.FallBack,
            $"inconsistent boot environment: slot {environment.Slot.ToName()}, upgrade_available {(environment.UpgradeAvailable ? 1 : 0)}, running {running.ToName()}");
    }
}
