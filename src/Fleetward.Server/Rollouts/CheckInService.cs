using System.Text.Json;
using Fleetward.Core.Audit;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Policy;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Device check-in: records the reported software state, moves the device's assignment (and through it the
/// rollout's counters) under the rollout's row lock, runs the zero-trust gate, and answers with the instruction
/// re-decided from stored state. Gate refusals are audited with their reason codes.
/// </summary>
public sealed class CheckInService(IFleetStore store, TimeProvider time, UpdateGatePolicy gatePolicy)
{
    public const int MaxTextLength = 200;
    public const int MaxReasonLength = 1000;
    private const int MaxCandidateRollouts = 200;

    public async Task<CheckInAnswer> CheckInAsync(Device device, DeviceCredential? credential, CheckInReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(report);
        var reported = Parse(report);
        var now = time.GetUtcNow();
        var gate = gatePolicy.Evaluate(new UpdateGateRequest(device, credential, now, GateEvidence.None));
        var actor = "device:" + device.Id;

        var installed = report.Installed;
        var software = new DeviceSoftwareState(device.Id, installed?.ReleaseId, installed?.Version, installed?.SecurityVersion, installed?.Slot, report.Health, now);
        if (reported is { } progress)
        {
            // The report commits on its own: it holds its rollout's row exclusively, and deciding an instruction may lock
            // other rollouts, always oldest first. Keeping the two apart keeps every transaction's lock order consistent,
            // so two replicas cannot deadlock on two rollouts.
            await using var reporting = await store.BeginAsync(cancellationToken);
            await RecordSeenAsync(reporting, software, cancellationToken);
            await ApplyReportAsync(reporting, device.Id, progress, actor, now, cancellationToken);
            await reporting.CommitAsync(cancellationToken);
        }

        await using var work = await store.BeginAsync(cancellationToken);
        if (reported is null)
        {
            await RecordSeenAsync(work, software, cancellationToken);
        }
        var instruction = await InstructAsync(work, device, installed, gate, actor, now, cancellationToken);
        await work.CommitAsync(cancellationToken);
        return new CheckInAnswer(instruction);
    }

    private static async Task RecordSeenAsync(IFleetUnitOfWork work, DeviceSoftwareState software, CancellationToken cancellationToken)
    {
        await work.Devices.MarkSeenAsync(software.DeviceId, software.CheckedInAt, cancellationToken);
        await work.DeviceSoftware.UpsertAsync(software, cancellationToken);
    }

    private static async Task ApplyReportAsync(IFleetUnitOfWork work, string deviceId, ReportedProgress progress, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rollout = await LockedRollout.LoadAsync(work, progress.RolloutId, actor, now, cancellationToken);
        var assignment = rollout is null ? null : await work.Assignments.GetAsync(progress.RolloutId, deviceId, cancellationToken);
        if (rollout is null || assignment is null)
        {
            // A report about an assignment this server does not know (deleted, or from another deployment): nothing to move.
            return;
        }
        if (progress.Attempt is { } attempt && attempt != assignment.Attempt)
        {
            return;
        }
        var @event = progress.ToEvent(assignment);
        if (@event is null)
        {
            return;
        }
        await rollout.ApplyDeviceAsync(assignment, @event, cancellationToken);
        await rollout.SaveAsync(cancellationToken);
    }

    private async Task<InstructionView> InstructAsync(
        IFleetUnitOfWork work, Device device, InstalledSoftware? installed, GateDecision gate, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var open = await work.Assignments.ListOpenForDeviceAsync(device.Id, cancellationToken);
        if (open.Count > 0)
        {
            var assignment = open[0];
            var stored = await work.Rollouts.GetAsync(assignment.RolloutId, RolloutLock.Share, cancellationToken)
                ?? throw new InvalidDataException($"assignment of device '{device.Id}' names missing rollout '{assignment.RolloutId}'.");
            var instruction = DeviceInstruction.For(stored.Definition, stored.State, assignment, gate, now);
            if (instruction.Kind == DeviceInstructionKind.Hold && instruction.Reason == AssignmentVerdict.GateRefused.ToCode())
            {
                await AuditGateRefusalAsync(work, device.Id, assignment.RolloutId, gate, actor, now, cancellationToken);
            }
            return View(instruction, assignment);
        }

        var taken = (await work.Assignments.ListRolloutIdsForDeviceAsync(device.Id, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var candidates = await work.Rollouts.ListAsync([RolloutStatus.Running, RolloutStatus.Completed], MaxCandidateRollouts, cancellationToken);
        var facts = new DeviceFacts(device.Id, device.Model, device.Tags, installed?.Version, installed?.SecurityVersion);
        // Oldest rollout first: a device works through releases in the order operators started them.
        foreach (var candidate in candidates.Reverse())
        {
            if (taken.Contains(candidate.Definition.Id))
            {
                continue;
            }
            var rateLimited = candidate.Definition.MaxDevicesPerMinute is not null;
            // Share lock: a pause or abort waits for this decision to commit; an exact rate limit needs the exclusive lock.
            var stored = await work.Rollouts.GetAsync(candidate.Definition.Id, rateLimited ? RolloutLock.Update : RolloutLock.Share, cancellationToken);
            if (stored is null)
            {
                continue;
            }
            var planner = new RolloutPlanner(stored.Definition);
            var recent = rateLimited ? await work.Assignments.CountAssignedSinceAsync(stored.Definition.Id, now.AddMinutes(-1), cancellationToken) : 0;
            var decision = planner.Decide(stored.State, facts, gate, now, recent);
            switch (decision.Verdict)
            {
                case AssignmentVerdict.Assign:
                    var assignment = DeviceAssignment.Create(stored.Definition.Id, device.Id, decision.RingIndex, decision.Bucket, installed?.Version, now);
                    await work.Assignments.InsertAsync(assignment, cancellationToken);
                    await work.Audit.AppendAsync(new AuditEvent("rollout.device-assigned", now, actor, "rollout:" + stored.Definition.Id,
                        JsonSerializer.Serialize(new { deviceId = device.Id, ring = decision.RingIndex, bucket = decision.Bucket, previousVersion = installed?.Version })), cancellationToken);
                    return View(DeviceInstruction.For(stored.Definition, stored.State, assignment, gate, now), assignment);
                case AssignmentVerdict.GateRefused:
                    await AuditGateRefusalAsync(work, device.Id, stored.Definition.Id, gate, actor, now, cancellationToken);
                    return Hold(stored.Definition.Id, decision.Verdict);
                case AssignmentVerdict.OutsideMaintenanceWindow or AssignmentVerdict.RateLimited:
                    return Hold(stored.Definition.Id, decision.Verdict);
                default:
                    continue;
            }
        }
        return new InstructionView("none", null, null, null, null, null);
    }

    private static Task AuditGateRefusalAsync(IFleetUnitOfWork work, string deviceId, string rolloutId, GateDecision gate, string actor, DateTimeOffset now, CancellationToken cancellationToken) =>
        work.Audit.AppendAsync(new AuditEvent("rollout.gate-refused", now, actor, "device:" + deviceId,
            JsonSerializer.Serialize(new
            {
                rolloutId,
                reasons = gate.Refusals.Select(r => r.Code).ToArray(),
                details = gate.Refusals.Select(r => r.Message).ToArray(),
            })), cancellationToken);

    private static InstructionView Hold(string rolloutId, AssignmentVerdict verdict) => new("hold", rolloutId, null, null, null, verdict.ToCode());

    private static InstructionView View(DeviceInstruction instruction, DeviceAssignment assignment) => instruction.Kind switch
    {
        DeviceInstructionKind.None => new("none", assignment.RolloutId, null, null, null, null),
        DeviceInstructionKind.Install => new("install", assignment.RolloutId,
            new TargetView(instruction.Release!.Id, instruction.Release.Version, instruction.Release.SecurityVersion, instruction.Release.Channel.ToName()),
            assignment.Attempt, null, null),
        DeviceInstructionKind.Hold => new("hold", assignment.RolloutId, null, assignment.Attempt, null, instruction.Reason),
        DeviceInstructionKind.RollBack => new("roll-back", assignment.RolloutId, null, null, instruction.RollbackToVersion, null),
        _ => throw new ArgumentOutOfRangeException(nameof(instruction), instruction.Kind, null),
    };

    /// <summary>Validates the report; every refusal names its field.</summary>
    private static ReportedProgress? Parse(CheckInReport report)
    {
        CheckText(report.Health, "$.health", MaxTextLength);
        if (report.Installed is { } installed)
        {
            CheckText(installed.ReleaseId, "$.installed.releaseId", MaxTextLength);
            CheckText(installed.Version, "$.installed.version", MaxTextLength);
            CheckText(installed.Slot, "$.installed.slot", MaxTextLength);
            if (installed.SecurityVersion is < 0)
            {
                throw ProblemException.Validation("$.installed.securityVersion", "installed.securityVersion must not be negative.");
            }
        }
        if (report.Assignment is not { } assignment)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(assignment.RolloutId))
        {
            throw ProblemException.Validation("$.assignment.rolloutId", "assignment.rolloutId is required.");
        }
        CheckText(assignment.RolloutId, "$.assignment.rolloutId", MaxTextLength);
        CheckText(assignment.FailureReason, "$.assignment.failureReason", MaxReasonLength);
        if (assignment.Attempt is < 1)
        {
            throw ProblemException.Validation("$.assignment.attempt", "assignment.attempt must be at least 1.");
        }
        var phase = assignment.Phase switch
        {
            "failed" => ReportedPhase.Failed,
            "rolled-back" => ReportedPhase.RolledBack,
            "rollback-failed" => ReportedPhase.RollbackFailed,
            _ when DeviceUpdateStatusNames.TryParse(assignment.Phase, out var status) && status <= DeviceUpdateStatus.Succeeded => ReportedPhase.Progress,
            _ => throw ProblemException.Validation("$.assignment.phase",
                "assignment.phase must be assigned, downloading, downloaded, installing, rebooting, verifying, succeeded, failed, rolled-back or rollback-failed; " +
                $"got '{assignment.Phase}'."),
        };
        DeviceUpdateStatusNames.TryParse(assignment.Phase, out var progressStatus);
        return new ReportedProgress(assignment.RolloutId, phase, progressStatus, assignment.Attempt, assignment.FailureReason);
    }

    private static void CheckText(string? value, string field, int maxLength)
    {
        if (value is null)
        {
            return;
        }
        if (value.Length > maxLength)
        {
            throw ProblemException.Validation(field, $"{field[2..]} must be at most {maxLength} characters.");
        }
        if (value.Any(char.IsControl))
        {
            throw ProblemException.Validation(field, $"{field[2..]} must not contain control characters.");
        }
    }

    private enum ReportedPhase
    {
        Progress,
        Failed,
        RolledBack,
        RollbackFailed,
    }

    private sealed record ReportedProgress(string RolloutId, ReportedPhase Phase, DeviceUpdateStatus Status, int? Attempt, string? FailureReason)
    {
        private string Reason(string fallback) => string.IsNullOrWhiteSpace(FailureReason) ? fallback : FailureReason;

        /// <summary>The device event this report means for <paramref name="assignment"/>; null when it reports nothing new.</summary>
        public DeviceUpdateEvent? ToEvent(DeviceAssignment assignment) => Phase switch
        {
            ReportedPhase.Progress when Status == DeviceUpdateStatus.Assigned => null,
            ReportedPhase.Progress => new DevicePhaseReported(Status),
            ReportedPhase.Failed => new DeviceFailureReported(Reason("unspecified")),
            // "rolled-back" after the server ordered it completes the ordered rollback; otherwise the A/B fallback sent the device back on its own.
            ReportedPhase.RolledBack when assignment.IsOrderedBack => new DeviceRollbackCompleted(),
            ReportedPhase.RolledBack => new DeviceFellBack(Reason("fell-back")),
            ReportedPhase.RollbackFailed => new DeviceRollbackFailed(Reason("unspecified")),
            _ => throw new ArgumentOutOfRangeException(nameof(assignment)),
        };
    }
}
