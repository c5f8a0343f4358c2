using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fleetward.Agent.Slots;
using Fleetward.Agent.Tuf;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Telemetry;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Runtime;

/// <summary>The check-in step and the update flow it carries out (issue 5, device side).</summary>
public sealed partial class DeviceAgent
{
    private async Task<CheckInOutcome> CheckInStepAsync(CancellationToken cancellationToken)
    {
        await RequireApiAsync(cancellationToken).ConfigureAwait(false);
        var reported = new List<AssignmentReport>();
        if (!resumed)
        {
            await ResumeAsync(reported, cancellationToken).ConfigureAwait(false);
            resumed = true;
        }
        if (rebootPending)
        {
            return new CheckInOutcome(lastInstruction ?? NoInstruction, reported, Installed());
        }

        var record = updateRecords.Load();
        var unacknowledged = record is { IsFinal: true, FinalReported: false } ? record : null;
        var answer = await PostCheckInAsync(unacknowledged?.ToReport(), cancellationToken).ConfigureAwait(false);
        if (unacknowledged is not null)
        {
            record = unacknowledged with { FinalReported = true };
            updateRecords.Save(record);
            reported.Add(record.ToReport());
        }

        var instruction = answer.Instruction;
        var running = ports.Slots.Running.Current;
        var plan = InstructionPlanner.Decide(instruction, record, slotReleases.Get(running), slotReleases.Get(running.Other()), isolation.IsIsolated,
            tufStore.InstalledSecurityVersion);
        if (plan.Reason is not null)
        {
            Log("info", "update.skipped", $"{instruction.Kind} for rollout {instruction.RolloutId}: {plan.Reason}");
        }
        switch (plan.Action)
        {
            case InstructionAction.ReportRecorded:
                await ReportAsync(record! with { FinalReported = false }, reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstructionAction.ReportAlreadyInstalled:
                await ReportAsync(NewRecord(instruction, AssignmentPhases.Succeeded, null), reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstructionAction.Install:
                await InstallAsync(instruction, reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstructionAction.ReportAlreadyRolledBack:
                await ReportAsync(NewRecord(instruction, AssignmentPhases.RolledBack, null), reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstructionAction.SwitchToOtherSlot:
                await SwitchToOtherSlotAsync(instruction, reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstructionAction.ReportRollbackImpossible:
                await ReportAsync(NewRecord(instruction, AssignmentPhases.RollbackFailed, plan.Reason), reported, cancellationToken).ConfigureAwait(false);
                break;
        }
        return new CheckInOutcome(lastInstruction ?? instruction, reported, Installed());
    }

    private static readonly InstructionView NoInstruction = new(InstructionKinds.None, null, null, null, null, null);

    private static UpdateRecord NewRecord(InstructionView instruction, string phase, string? reason) =>
        new(instruction.Kind, instruction.RolloutId!, instruction.Kind == InstructionKinds.Install ? instruction.Attempt : null, instruction.Target,
            instruction.RollbackToVersion, phase, reason, false);

    private async Task<CheckInAnswer> PostCheckInAsync(AssignmentReport? assignment, CancellationToken cancellationToken)
    {
        var answer = await api!.CheckInAsync(new CheckInReport(Installed(), isolation.IsIsolated ? "isolated" : "healthy", assignment), cancellationToken).ConfigureAwait(false);
        lock (statusLock)
        {
            lastInstruction = answer.Instruction;
            lastCheckInAt = time.GetUtcNow();
            lastError = null;
        }
        return answer;
    }

    /// <summary>
    /// Records the phase durably, then tells the server. A final phase that does not reach the server stays marked
    /// unacknowledged and goes with the next check-in; an in-progress phase that does not reach it is only logged, the
    /// install goes on (the health check decides whether the device can still reach the server).
    /// </summary>
    private async Task<UpdateRecord> ReportAsync(UpdateRecord record, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        updateRecords.Save(record);
        lock (statusLock)
        {
            lastPhase = record.Phase;
            lastFailureReason = record.Phase is AssignmentPhases.Failed or AssignmentPhases.RolledBack or AssignmentPhases.RollbackFailed ? record.Reason : null;
        }
        Log(record.IsFinal && record.Phase != AssignmentPhases.Succeeded ? "warning" : "info", "update.phase",
            $"rollout {record.RolloutId} attempt {record.Attempt?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: {record.Phase}"
            + (record.Reason is null ? "" : $" ({record.Reason})"));
        try
        {
            await PostCheckInAsync(record.ToReport(), cancellationToken).ConfigureAwait(false);
            reported.Add(record.ToReport());
            if (record.IsFinal)
            {
                record = record with { FinalReported = true };
                updateRecords.Save(record);
            }
        }
        catch (Exception error) when (IsTransient(error, cancellationToken))
        {
            Fail("check-in", error);
        }
        return record;
    }

    /// <summary>
    /// The install flow: downloading, then the device's own verification through TUF (the server only named the
    /// release), downloaded, installing to the inactive slot, rebooting, verifying (health check), and the installer's
    /// verdict. The security-version floor rises only once the new slot is committed.
    /// </summary>
    private async Task InstallAsync(InstructionView instruction, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        var target = instruction.Target!;
        var record = await ReportAsync(NewRecord(instruction, AssignmentPhases.Downloading, null), reported, cancellationToken).ConfigureAwait(false);
        TufTarget verified;
        string file;
        try
        {
            var updater = new TufUpdater(tufStore, new HttpTufRepositoryFetcher(http!, new Uri(options.Server, "tuf/metadata/"), new Uri(options.Server, "tuf/targets/")),
                time, new TufUpdaterOptions { ProductionDevice = options.ProductionDevice });
            await updater.RefreshAsync(cancellationToken).ConfigureAwait(false);
            verified = await updater.FindReleaseTargetAsync(target.Name, $"{target.Channel}/{target.Version}/", cancellationToken).ConfigureAwait(false);
            if (TargetMismatch(verified, target, options.HardwareModel) is { } mismatch)
            {
                throw new TufTrustException(TufTrustFailure.TargetNotFound, verified.Path, mismatch);
            }
            file = await updater.DownloadTargetAsync(verified, downloadDirectory, cancellationToken).ConfigureAwait(false);
        }
        catch (TufTrustException refused)
        {
            var reason = $"refused by TUF verification ({refused.Reason}): {refused.Message}";
            ports.Counters.RecordIntegrityCheckFailure();
            RecordFailure(integrityFailures, target, reason);
            await ReportAsync(record with { Phase = AssignmentPhases.Failed, Reason = Shorten(reason) }, reported, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception error) when (error is HttpRequestException or IOException or TufMetadataFormatException
            || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = $"download failed: {error.Message}";
            ports.Counters.RecordInstallFailure();
            RecordFailure(installFailures, target, reason);
            await ReportAsync(record with { Phase = AssignmentPhases.Failed, Reason = Shorten(reason) }, reported, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ports.Slots.Journal.Load() is { IsFinished: true })
        {
            // An earlier attempt's finished journal (the same release on a retry) must not pass for this attempt's when
            // the power fails after "installing" is recorded and before the installer writes its own journal.
            ports.Slots.Journal.Clear();
        }
        record = await ReportAsync(record with { Phase = AssignmentPhases.Downloaded }, reported, cancellationToken).ConfigureAwait(false);
        record = await ReportAsync(record with { Phase = AssignmentPhases.Installing }, reported, cancellationToken).ConfigureAwait(false);
        var targetSlot = ports.Slots.Running.Current.Other();
        var sha256 = verified.Info.Hashes.TryGetValue("sha256", out var hex) ? hex.ToLowerInvariant() : HashFile(file);
        // The inactive slot is about to be overwritten: until the installer is done nobody may roll back into it.
        slotReleases.Set(targetSlot, null);
        InstallStatus status;
        var progress = new PhaseProgress(this, record, reported, cancellationToken);
        try
        {
            await using var image = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            status = await NewInstaller(target, progress).InstallAsync(
                new VerifiedImage(target.Name, image, verified.Info.Length, Convert.FromHexString(sha256)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is InvalidOperationException or IOException or FormatException or UnauthorizedAccessException)
        {
            // The installer refused to start (unsettled boot environment, unreadable journal): nothing was committed.
            status = new InstallStatus(target.Name, InstallState.Failed, $"install could not run: {error.Message}", ports.Slots.Running.Current);
        }
        finally
        {
            File.Delete(file);
        }
        // An image that failed to install or failed its health check is no rollback target.
        if (status.State is not (InstallState.Failed or InstallState.RolledBack))
        {
            slotReleases.Set(targetSlot, new SlotRelease(target.Name, target.Version, verified.SecurityVersion, sha256, verified.Info.Length));
        }
        await FinishInstallAsync(progress.Record, status, reported, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What the signed target says must match what the server named; otherwise a compromised server could pass off
    /// another signed image (older security version, another model's firmware) under the instruction's name.
    /// </summary>
    public static string? TargetMismatch(TufTarget verified, TargetView named, string hardwareModel)
    {
        var custom = verified.Info.Custom;
        var version = custom?["version"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (version != named.Version)
        {
            return $"the signed target {verified.Path} has version {version ?? "(none)"}, the server named {named.Version}";
        }
        if (verified.SecurityVersion != named.SecurityVersion)
        {
            return $"the signed target {verified.Path} has security version {verified.SecurityVersion}, the server named {named.SecurityVersion}";
        }
        // Fail closed: a target that names no hardware is for none, not for every model.
        if (custom?["hardware_ids"] is not JsonArray hardware || hardware.Count == 0)
        {
            return $"the signed target {verified.Path} names no hardware_ids";
        }
        if (!hardware.Any(h => h is JsonValue value && value.TryGetValue<string>(out var id) && id == hardwareModel))
        {
            return $"the signed target {verified.Path} is not for hardware {hardwareModel}";
        }
        return null;
    }

    /// <summary>Carries the installer's verdict to the server; on success only, raises the anti-rollback floor (after the commit).</summary>
    private async Task FinishInstallAsync(UpdateRecord record, InstallStatus status, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        var target = record.Target!;
        switch (status.State)
        {
            case InstallState.Succeeded:
                tufStore.RaiseInstalledSecurityVersion(slotReleases.Get(status.RunningSlot)?.SecurityVersion ?? target.SecurityVersion);
                await ReportAsync(record with { Phase = AssignmentPhases.Succeeded, Reason = null }, reported, cancellationToken).ConfigureAwait(false);
                break;
            case InstallState.Failed or InstallState.RolledBack:
                var reason = status.Reason ?? (status.State == InstallState.Failed ? "install failed" : "fell back to the previous slot");
                ports.Counters.RecordInstallFailure();
                RecordFailure(installFailures, target, reason);
                var phase = status.State == InstallState.Failed ? AssignmentPhases.Failed : AssignmentPhases.RolledBack;
                await ReportAsync(record with { Phase = phase, Reason = Shorten(reason) }, reported, cancellationToken).ConfigureAwait(false);
                break;
            default:
                // A real reboot is under way: the next agent process resumes the install from the journal.
                updateRecords.Save(record with { Phase = status.State == InstallState.Verifying ? AssignmentPhases.Verifying : AssignmentPhases.Rebooting });
                rebootPending = true;
                break;
        }
    }

    /// <summary>Finishes what a restart interrupted: an install the installer journaled, or a slot switch for a rollback.</summary>
    private async Task ResumeAsync(List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        var record = updateRecords.Load();
        if (record is null || record.IsFinal)
        {
            return;
        }
        if (record.Kind == InstructionKinds.RollBack)
        {
            await FinishSlotSwitchAsync(record, reported, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (record.Phase is AssignmentPhases.Downloading or AssignmentPhases.Downloaded || record.Target is not { } target)
        {
            // Nothing was written to a slot; the server's install instruction starts the attempt over.
            return;
        }
        var journal = ports.Slots.Journal.Load();
        if (journal is null || journal.ReleaseId != target.Name)
        {
            await ReportAsync(record with { Phase = AssignmentPhases.Failed, Reason = "interrupted before the image reached the inactive slot" }, reported, cancellationToken)
                .ConfigureAwait(false);
            return;
        }
        var progress = new PhaseProgress(this, record, reported, cancellationToken);
        var status = await NewInstaller(target, progress).ResumeAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("install journal vanished while resuming");
        if (status.State is InstallState.Failed or InstallState.RolledBack)
        {
            slotReleases.Set(journal.Target, null);
        }
        await FinishInstallAsync(progress.Record, status, reported, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A server-ordered rollback (the rollout aborted): the other slot holds the previous release, so point the boot
    /// environment at it and reboot, after checking the slot still holds the recorded image.
    /// </summary>
    private async Task SwitchToOtherSlotAsync(InstructionView instruction, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        var running = ports.Slots.Running.Current;
        var other = running.Other();
        var release = slotReleases.Get(other)!;
        var record = NewRecord(instruction, AssignmentPhases.Rebooting, null);
        if (release.Sha256 is { } expected && release.Length is { } length
            && ports.Slots.Devices.Sha256Of(other, length) is var actual && (actual is null || Convert.ToHexStringLower(actual) != expected))
        {
            await ReportAsync(record with { Phase = AssignmentPhases.RollbackFailed, Reason = $"slot {other.ToName()} no longer holds {release.Version} (hash differs)" },
                reported, cancellationToken).ConfigureAwait(false);
            return;
        }
        var environment = ports.Slots.BootControl.Read();
        if (environment.UpgradeAvailable)
        {
            await ReportAsync(record with { Phase = AssignmentPhases.RollbackFailed, Reason = "a trial boot is armed; the boot environment is not settled" },
                reported, cancellationToken).ConfigureAwait(false);
            return;
        }
        // Journaled before the boot environment changes, so a restart finishes the switch from facts.
        updateRecords.Save(record);
        // A trial boot, like an install's: a slot that does not come up falls back on its own, and the health check
        // decides before the switch is committed.
        ports.Slots.BootControl.Write(environment with { Slot = other, UpgradeAvailable = true, BootCount = 0 });
        Log("info", "update.rollback", $"booting slot {other.ToName()} ({release.Version}) for rollout {record.RolloutId}");
        if (await ports.Slots.Reboot.RebootAsync(cancellationToken).ConfigureAwait(false) == RebootOutcome.Pending)
        {
            rebootPending = true;
            return;
        }
        await FinishSlotSwitchAsync(record, reported, cancellationToken).ConfigureAwait(false);
    }

    private async Task FinishSlotSwitchAsync(UpdateRecord record, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        var running = Installed();
        var current = ports.Slots.Running.Current;
        if (running.Version == record.RollbackToVersion)
        {
            var environment = ports.Slots.BootControl.Read();
            if (environment.UpgradeAvailable)
            {
                var release = slotReleases.Get(current)!;
                var health = await HealthCheckFor(new TargetView(release.ReleaseId ?? "", release.Version, release.SecurityVersion, ""))
                    .CheckAsync(cancellationToken).ConfigureAwait(false);
                if (!health.Healthy)
                {
                    // The previous image does not come up healthy: no rollback target any more; back to the slot we came from.
                    slotReleases.Set(current, null);
                    ports.Slots.BootControl.Write(environment with { Slot = current.Other(), UpgradeAvailable = false, BootCount = 0 });
                    await ReportAsync(record with { Phase = AssignmentPhases.RollbackFailed, Reason = Shorten($"{release.Version} failed its health check: {health.Reason}") },
                        reported, cancellationToken).ConfigureAwait(false);
                    if (await ports.Slots.Reboot.RebootAsync(cancellationToken).ConfigureAwait(false) == RebootOutcome.Pending)
                    {
                        rebootPending = true;
                    }
                    return;
                }
                ports.Slots.BootControl.Write(environment with { UpgradeAvailable = false, BootCount = 0 });
            }
            await ReportAsync(record with { Phase = AssignmentPhases.RolledBack, Reason = null }, reported, cancellationToken).ConfigureAwait(false);
            return;
        }
        // The switch did not take: point the boot environment back at the slot that runs, so the next reboot does
        // not land on the other slot behind the agent's back and the installer finds it settled.
        ports.Slots.BootControl.Write(ports.Slots.BootControl.Read() with { Slot = current, UpgradeAvailable = false, BootCount = 0 });
        await ReportAsync(record with { Phase = AssignmentPhases.RollbackFailed, Reason = $"expected {record.RollbackToVersion} after the reboot, running {running.Version ?? "unknown"} on slot {running.Slot}" },
            reported, cancellationToken).ConfigureAwait(false);
    }

    private SlotInstaller NewInstaller(TargetView target, PhaseProgress progress)
    {
        var slots = ports.Slots;
        return new SlotInstaller(slots.Devices, slots.BootControl, slots.Running, new ReportingReboot(slots.Reboot, progress),
            new ReportingHealthCheck(HealthCheckFor(target), progress), slots.Journal, slots.Options);
    }

    private IHealthCheck HealthCheckFor(TargetView target) =>
        ports.HealthCheck?.Invoke(new HealthCheckContext(target, ServerReachableAsync))
            ?? new AgentHealthCheck(ServerReachableAsync, [], TimeSpan.FromSeconds(10));

    /// <summary>The default health check's probe: one mutual-TLS request the server answers only to an accepted device.</summary>
    private async Task<bool> ServerReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await api!.GetCommandKeyAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception error) when (IsTransient(error, cancellationToken))
        {
            return false;
        }
    }

    private void RecordFailure(List<AgentFailure> failures, TargetView target, string reason)
    {
        lock (statusLock)
        {
            failures.Add(new AgentFailure { Subject = $"{target.Name} {target.Version}", Reason = Shorten(reason) });
            if (failures.Count > TelemetryLimits.MaxAgentFailures)
            {
                failures.RemoveAt(0);
            }
        }
    }

    private static string Shorten(string reason) => reason.Length <= 1000 ? reason : reason[..1000];

    private static string HashFile(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Reports rebooting and verifying as the installer reaches them (each once, in order), from its async hooks.</summary>
    private sealed class PhaseProgress(DeviceAgent agent, UpdateRecord record, List<AssignmentReport> reported, CancellationToken cancellationToken)
    {
        public UpdateRecord Record { get; private set; } = record;

        public async Task ReachedAsync(string phase)
        {
            if (AssignmentPhases.Rank(phase) <= AssignmentPhases.Rank(Record.Phase))
            {
                return;
            }
            Record = await agent.ReportAsync(Record with { Phase = phase }, reported, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class ReportingReboot(IRebootAction inner, PhaseProgress progress) : IRebootAction
    {
        public async Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
        {
            await progress.ReachedAsync(AssignmentPhases.Rebooting).ConfigureAwait(false);
            return await inner.RebootAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class ReportingHealthCheck(IHealthCheck inner, PhaseProgress progress) : IHealthCheck
    {
        public async Task<HealthResult> CheckAsync(CancellationToken cancellationToken)
        {
            await progress.ReachedAsync(AssignmentPhases.Verifying).ConfigureAwait(false);
            return await inner.CheckAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
