using System.Text.Json;
using Fleetward.Agent.Slots;
using Fleetward.Core.DeviceApi;

namespace Fleetward.Agent.Runtime;

/// <summary>
/// The release a slot holds, as the agent recorded it when it wrote the slot (or the factory did); the image's length
/// and SHA-256 (lower-case hex) when known, so a rollback can check the slot still holds it before booting it.
/// </summary>
public sealed record SlotRelease(string? ReleaseId, string Version, long SecurityVersion, string? Sha256 = null, long? Length = null);

/// <summary>
/// Which release each A/B slot holds, in one atomically replaced JSON file: the installed release is the running slot's
/// entry, and a rollback may only return to the version the other slot is known to hold.
/// </summary>
public sealed class SlotReleaseFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public SlotRelease? Get(Slot slot) => Load().GetValueOrDefault(slot.ToName());

    public void Set(Slot slot, SlotRelease? release)
    {
        var all = Load();
        if (release is null)
        {
            all.Remove(slot.ToName());
        }
        else
        {
            all[slot.ToName()] = release;
        }
        DurableFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(all, Json));
    }

    public bool Exists => File.Exists(path);

    private Dictionary<string, SlotRelease> Load() =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, SlotRelease>>(File.ReadAllBytes(path), Json)
                ?? throw new FormatException($"{path}: slot releases are null")
            : new Dictionary<string, SlotRelease>(StringComparer.Ordinal);
}

/// <summary>The assignment phases a device reports (issue 5, server item 5), as the check-in API spells them.</summary>
public static class AssignmentPhases
{
    public const string Downloading = "downloading";
    public const string Downloaded = "downloaded";
    public const string Installing = "installing";
    public const string Rebooting = "rebooting";
    public const string Verifying = "verifying";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string RolledBack = "rolled-back";
    public const string RollbackFailed = "rollback-failed";

    public static bool IsFinal(string phase) => phase is Succeeded or Failed or RolledBack or RollbackFailed;

    /// <summary>Order of the in-progress phases, so a phase is reported once and never after a later one.</summary>
    public static int Rank(string phase) => phase switch
    {
        Downloading => 1,
        Downloaded => 2,
        Installing => 3,
        Rebooting => 4,
        Verifying => 5,
        _ => 6,
    };
}

/// <summary>Instruction kinds of the check-in answer.</summary>
public static class InstructionKinds
{
    public const string None = "none";
    public const string Install = "install";
    public const string Hold = "hold";
    public const string RollBack = "roll-back";
}

/// <summary>
/// The assignment the agent is carrying out, durable across restarts: which instruction (rollout, attempt, target or
/// rollback version), the phase reached, and whether the final phase reached the server.
/// </summary>
public sealed record UpdateRecord(
    string Kind,
    string RolloutId,
    int? Attempt,
    TargetView? Target,
    string? RollbackToVersion,
    string Phase,
    string? Reason,
    bool FinalReported)
{
    public bool IsFinal => AssignmentPhases.IsFinal(Phase);

    public AssignmentReport ToReport() => new(RolloutId, Phase, Attempt, Reason);

    /// <summary>True when <paramref name="instruction"/> is the instruction this record carries out.</summary>
    public bool IsFor(InstructionView instruction) =>
        instruction.RolloutId == RolloutId && instruction.Kind == Kind
        && (Kind != InstructionKinds.Install || instruction.Attempt == Attempt);
}

/// <summary>Keeps the <see cref="UpdateRecord"/> in one atomically replaced JSON file.</summary>
public sealed class UpdateRecordFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public UpdateRecord? Load() =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<UpdateRecord>(File.ReadAllBytes(path), Json) ?? throw new FormatException($"{path}: update record is null")
            : null;

    public void Save(UpdateRecord record) => DurableFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(record, Json));
}

/// <summary>What the agent does with the instruction of a check-in answer.</summary>
public enum InstructionAction
{
    /// <summary>none, hold, or an install while isolated: nothing to carry out.</summary>
    Nothing,

    /// <summary>The instruction was already carried out to its end: report the recorded final phase again.</summary>
    ReportRecorded,

    /// <summary>The target already runs: report succeeded without installing.</summary>
    ReportAlreadyInstalled,

    /// <summary>Verify, download and install the target.</summary>
    Install,

    /// <summary>The device already runs the rollback version: report rolled-back.</summary>
    ReportAlreadyRolledBack,

    /// <summary>The other slot holds the rollback version: boot it.</summary>
    SwitchToOtherSlot,

    /// <summary>Neither slot holds the rollback version: report rollback-failed.</summary>
    ReportRollbackImpossible,
}

/// <summary>The chosen action and, for refusals and skips, why.</summary>
public sealed record InstructionPlan(InstructionAction Action, string? Reason = null);

/// <summary>
/// Decides from facts only (instruction, durable record, slot contents, isolation) what a check-in answer means for
/// this device, so the rules have a unit test each and the agent only carries the plan out.
/// </summary>
public static class InstructionPlanner
{
    /// <param name="securityVersionFloor">
    /// The installed anti-rollback floor: the roll-back instruction is not signed, so a compromised server must not be
    /// able to boot an image whose security version is below it (a release raising it is a one-way door).
    /// </param>
    public static InstructionPlan Decide(InstructionView instruction, UpdateRecord? record, SlotRelease? running, SlotRelease? other, bool isolated,
        long securityVersionFloor)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        switch (instruction.Kind)
        {
            case InstructionKinds.Install:
                if (instruction.Target is not { } target || instruction.RolloutId is null || instruction.Attempt is null)
                {
                    return new(InstructionAction.Nothing, "install instruction without rolloutId, target or attempt");
                }
                if (record is { IsFinal: true } && record.IsFor(instruction))
                {
                    return new(InstructionAction.ReportRecorded);
                }
                if (isolated)
                {
                    return new(InstructionAction.Nothing, "the device is isolated: updates wait until it is released");
                }
                if (running is not null && running.ReleaseId == target.Name && running.Version == target.Version)
                {
                    return new(InstructionAction.ReportAlreadyInstalled);
                }
                return new(InstructionAction.Install);
            case InstructionKinds.RollBack:
                if (instruction.RolloutId is null || string.IsNullOrEmpty(instruction.RollbackToVersion))
                {
                    return new(InstructionAction.Nothing, "roll-back instruction without rolloutId or version");
                }
                if (record is { IsFinal: true } && record.IsFor(instruction))
                {
                    return new(InstructionAction.ReportRecorded);
                }
                var version = instruction.RollbackToVersion;
                if (running?.Version == version)
                {
                    return new(InstructionAction.ReportAlreadyRolledBack);
                }
                if (other?.Version != version)
                {
                    return new(InstructionAction.ReportRollbackImpossible, $"version {version} is in neither slot (running {running?.Version ?? "unknown"}, other {other?.Version ?? "empty"})");
                }
                return other.SecurityVersion < securityVersionFloor
                    ? new(InstructionAction.ReportRollbackImpossible,
                        $"version {version} has security version {other.SecurityVersion}, below the anti-rollback floor {securityVersionFloor}")
                    : new(InstructionAction.SwitchToOtherSlot);
            default:
                return new(InstructionAction.Nothing);
        }
    }
}
