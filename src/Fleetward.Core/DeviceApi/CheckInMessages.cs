namespace Fleetward.Core.DeviceApi;

/// <summary>Body of POST /device/v1/check-in: what the device runs and how its current assignment is going.</summary>
/// <param name="Health">The device's own verdict, for example healthy or degraded.</param>
public sealed record CheckInReport(InstalledSoftware? Installed = null, string? Health = null, AssignmentReport? Assignment = null);

/// <param name="Slot">The A/B slot the device booted from.</param>
public sealed record InstalledSoftware(string? ReleaseId = null, string? Version = null, long? SecurityVersion = null, string? Slot = null);

/// <summary>Progress of the assignment the device was given.</summary>
/// <param name="Phase">assigned, downloading, downloaded, installing, rebooting, verifying, succeeded, failed, rolled-back or rollback-failed.</param>
/// <param name="Attempt">The attempt the report is about (from the install instruction); a report about an older attempt is ignored.</param>
public sealed record AssignmentReport(string RolloutId, string Phase, int? Attempt = null, string? FailureReason = null);

/// <summary>The check-in answer.</summary>
public sealed record CheckInAnswer(InstructionView Instruction);

/// <summary>
/// What the device should do. kind: none, install (fetch and install <see cref="Target"/>, verifying it through TUF
/// first), hold (keep waiting; <see cref="Reason"/> says why) or roll-back (return to <see cref="RollbackToVersion"/>).
/// </summary>
public sealed record InstructionView(string Kind, string? RolloutId, TargetView? Target, int? Attempt, string? RollbackToVersion, string? Reason);

/// <summary>Names a TUF target; the device resolves and verifies it itself, so the server cannot make it install anything unsigned or older.</summary>
public sealed record TargetView(string Name, string Version, long SecurityVersion, string Channel);
