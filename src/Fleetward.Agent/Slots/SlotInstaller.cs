using System.Security.Cryptography;

namespace Fleetward.Agent.Slots;

/// <summary>An image whose signature and metadata the updater already verified; the installer re-checks length and hash while writing.</summary>
public sealed record VerifiedImage(string ReleaseId, Stream Content, long Length, byte[] Sha256);

/// <summary>Points in the install where the installer has just made progress durable; tests inject power losses here.</summary>
public enum InstallStep
{
    JournalWriting,
    ImageChunkWritten,
    ImageSynced,
    JournalWritten,
    TrialArmed,
    JournalRebooting,
    Rebooted,
    JournalVerifying,
    HealthChecked,
    Committed,
    JournalFallingBack,
    FallbackArmed,
    JournalFinished,
}

/// <summary>Told about every durable install step (progress logging; crash injection in tests).</summary>
public interface IInstallStepObserver
{
    void Reached(InstallStep step);
}

/// <summary>Tunables of the A/B installer.</summary>
public sealed record SlotInstallerOptions(int BootLimit = 3, int ChunkSize = 1 << 20);

/// <summary>
/// A/B installer with U-Boot boot-count semantics (issue 5): writes a verified image to the inactive slot,
/// arms a trial boot, reboots, checks health, then commits the new slot or returns to the old one.
/// Every step is journaled before the boot environment changes, so <see cref="ResumeAsync"/> after any
/// restart finishes the install on a verified slot (see <see cref="InstallRecovery"/>).
/// </summary>
public sealed class SlotInstaller(
    SlotDevices slots,
    IBootControl bootControl,
    IRunningSlot runningSlot,
    IRebootAction reboot,
    IHealthCheck healthCheck,
    InstallJournalStore journalStore,
    SlotInstallerOptions? options = null,
    IInstallStepObserver? observer = null)
{
    private readonly SlotInstallerOptions options = options ?? new SlotInstallerOptions();

    /// <summary>The latest install as the agent reports it, or null when nothing was ever installed.</summary>
    public InstallStatus? Status
    {
        get
        {
            var journal = journalStore.Load();
            return journal is null ? null : new InstallStatus(journal.ReleaseId, journal.ReportedState, journal.Reason, runningSlot.Current);
        }
    }

    /// <summary>
    /// Installs <paramref name="image"/> to the inactive slot. Returns the final status on a simulated device,
    /// or <see cref="InstallState.Rebooting"/> when a real reboot is pending (call <see cref="ResumeAsync"/> at start-up).
    /// </summary>
    public async Task<InstallStatus> InstallAsync(VerifiedImage image, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image.ReleaseId, nameof(image.ReleaseId));
        if (image.Sha256.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"{nameof(image.Sha256)}: expected {SHA256.HashSizeInBytes} bytes, found {image.Sha256.Length}", nameof(image));
        }
        if (image.Length <= 0)
        {
            throw new ArgumentException($"{nameof(image.Length)}: must be positive, found {image.Length}", nameof(image));
        }
        var existing = journalStore.Load();
        if (existing is { IsFinished: false })
        {
            throw new InvalidOperationException($"install of {existing.ReleaseId} is unfinished; resume it first");
        }
        var running = runningSlot.Current;
        var environment = bootControl.Read();
        if (environment.UpgradeAvailable || environment.Slot != running)
        {
            throw new InvalidOperationException(
                $"boot environment is not settled (slot {environment.Slot.ToName()}, upgrade_available {(environment.UpgradeAvailable ? 1 : 0)}, running {running.ToName()})");
        }
        if (environment.BootCount != 0)
        {
            // Clear the evidence of an earlier boot-limit fallback so it is not mistaken for this install's.
            bootControl.Write(environment with { BootCount = 0 });
        }

        var journal = new InstallJournal(image.ReleaseId, running.Other(), running, image.Length, Convert.ToHexStringLower(image.Sha256), InstallPhase.Writing, null);
        Save(journal, InstallStep.JournalWriting);
        var failure = await WriteImageAsync(image, journal.Target, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return Finish(journal with { Phase = InstallPhase.Failed, Reason = failure });
        }
        journal = journal with { Phase = InstallPhase.Written };
        Save(journal, InstallStep.JournalWritten);
        return await ArmTrialAndRebootAsync(journal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Continues an unfinished install after a restart; returns the status, or null when nothing was ever installed.</summary>
    public async Task<InstallStatus?> ResumeAsync(CancellationToken cancellationToken)
    {
        var journal = journalStore.Load();
        if (journal is null)
        {
            return null;
        }
        var decision = InstallRecovery.Decide(journal, bootControl.Read(), runningSlot.Current);
        switch (decision.Action)
        {
            case RecoveryAction.None:
                return StatusOf(journal);
            case RecoveryAction.MarkFailed:
                return Finish(journal with { Phase = InstallPhase.Failed, Reason = decision.Reason });
            case RecoveryAction.MarkSucceeded:
                return Finish(journal with { Phase = InstallPhase.Succeeded, Reason = null });
            case RecoveryAction.MarkRolledBack:
                return Finish(journal with { Phase = InstallPhase.RolledBack, Reason = decision.Reason });
            case RecoveryAction.ArmTrialAndReboot:
                return await ArmTrialAndRebootAsync(journal, cancellationToken).ConfigureAwait(false);
            case RecoveryAction.Reboot:
                if (journal.Phase != InstallPhase.Rebooting)
                {
                    journal = journal with { Phase = InstallPhase.Rebooting };
                    Save(journal, InstallStep.JournalRebooting);
                }
                return await RebootAndResumeAsync(journal, cancellationToken).ConfigureAwait(false);
            case RecoveryAction.Verify:
                return await VerifyAsync(journal, cancellationToken).ConfigureAwait(false);
            case RecoveryAction.FallBack:
                return await FallBackAsync(journal, decision.Reason ?? "fallback", cancellationToken).ConfigureAwait(false);
            default:
                throw new InvalidOperationException($"unknown recovery action {decision.Action}");
        }
    }

    private async Task<string?> WriteImageAsync(VerifiedImage image, Slot target, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[options.ChunkSize];
        long written = 0;
        await using (var output = slots.OpenForWrite(target))
        {
            while (true)
            {
                var read = await image.Content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                written += read;
                if (written > image.Length)
                {
                    return $"image is longer than the expected {image.Length} bytes";
                }
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                observer?.Reached(InstallStep.ImageChunkWritten);
            }
            if (written != image.Length)
            {
                return $"image length {written} differs from the expected {image.Length} bytes";
            }
            if (!CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), image.Sha256))
            {
                return "image sha256 differs from the verified target hash";
            }
            output.Flush(flushToDisk: true);
        }
        observer?.Reached(InstallStep.ImageSynced);
        return null;
    }

    private async Task<InstallStatus> ArmTrialAndRebootAsync(InstallJournal journal, CancellationToken cancellationToken)
    {
        bootControl.Write(new BootEnvironment(journal.Target, UpgradeAvailable: true, BootCount: 0, options.BootLimit));
        observer?.Reached(InstallStep.TrialArmed);
        journal = journal with { Phase = InstallPhase.Rebooting };
        Save(journal, InstallStep.JournalRebooting);
        return await RebootAndResumeAsync(journal, cancellationToken).ConfigureAwait(false);
    }

    private async Task<InstallStatus> RebootAndResumeAsync(InstallJournal journal, CancellationToken cancellationToken)
    {
        var outcome = await reboot.RebootAsync(cancellationToken).ConfigureAwait(false);
        observer?.Reached(InstallStep.Rebooted);
        if (outcome == RebootOutcome.Pending)
        {
            return StatusOf(journal);
        }
        return await ResumeAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("install journal vanished during the install");
    }

    private async Task<InstallStatus> VerifyAsync(InstallJournal journal, CancellationToken cancellationToken)
    {
        if (journal.Phase != InstallPhase.Verifying)
        {
            journal = journal with { Phase = InstallPhase.Verifying };
            Save(journal, InstallStep.JournalVerifying);
        }
        var health = await healthCheck.CheckAsync(cancellationToken).ConfigureAwait(false);
        observer?.Reached(InstallStep.HealthChecked);
        if (!health.Healthy)
        {
            return await FallBackAsync(journal, $"health check failed: {health.Reason}", cancellationToken).ConfigureAwait(false);
        }
        bootControl.Write(new BootEnvironment(journal.Target, UpgradeAvailable: false, BootCount: 0, options.BootLimit));
        observer?.Reached(InstallStep.Committed);
        return Finish(journal with { Phase = InstallPhase.Succeeded, Reason = null });
    }

    private async Task<InstallStatus> FallBackAsync(InstallJournal journal, string reason, CancellationToken cancellationToken)
    {
        if (journal.Phase != InstallPhase.FallingBack)
        {
            journal = journal with { Phase = InstallPhase.FallingBack, Reason = reason };
            Save(journal, InstallStep.JournalFallingBack);
        }
        bootControl.Write(new BootEnvironment(journal.Previous, UpgradeAvailable: false, BootCount: 0, options.BootLimit));
        observer?.Reached(InstallStep.FallbackArmed);
        return await RebootAndResumeAsync(journal, cancellationToken).ConfigureAwait(false);
    }

    private InstallStatus Finish(InstallJournal journal)
    {
        Save(journal, InstallStep.JournalFinished);
        return StatusOf(journal);
    }

    private void Save(InstallJournal journal, InstallStep step)
    {
        journalStore.Save(journal);
        observer?.Reached(step);
    }

    private InstallStatus StatusOf(InstallJournal journal) =>
        new(journal.ReleaseId, journal.ReportedState, journal.Reason, runningSlot.Current);
}
