using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleetward.Agent.Slots;

/// <summary>The installer's own progress marks, persisted before each boot-environment change.</summary>
public enum InstallPhase
{
    Writing,
    Written,
    Rebooting,
    Verifying,
    FallingBack,
    Succeeded,
    Failed,
    RolledBack,
}

/// <summary>
/// The installer's durable record of one install, so that a restart at any point resumes from facts:
/// this journal, the boot environment and the slot that actually booted.
/// </summary>
public sealed record InstallJournal(
    string ReleaseId,
    Slot Target,
    Slot Previous,
    long Length,
    string Sha256,
    InstallPhase Phase,
    string? Reason)
{
    public bool IsFinished => Phase is InstallPhase.Succeeded or InstallPhase.Failed or InstallPhase.RolledBack;

    public InstallState ReportedState => Phase switch
    {
        InstallPhase.Writing or InstallPhase.Written => InstallState.Installing,
        InstallPhase.Rebooting => InstallState.Rebooting,
        InstallPhase.Verifying or InstallPhase.FallingBack => InstallState.Verifying,
        InstallPhase.Succeeded => InstallState.Succeeded,
        InstallPhase.Failed => InstallState.Failed,
        InstallPhase.RolledBack => InstallState.RolledBack,
        _ => throw new ArgumentOutOfRangeException(nameof(Phase), Phase, null),
    };
}

/// <summary>Keeps the <see cref="InstallJournal"/> in one atomically replaced JSON file.</summary>
public sealed class InstallJournalStore(string path)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public InstallJournal? Load() =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<InstallJournal>(File.ReadAllBytes(path), Json)
                ?? throw new FormatException($"{path}: install journal is empty")
            : null;

    public void Save(InstallJournal journal) => DurableFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(journal, Json));

    /// <summary>Forgets the journal (durably), so a later install's resume never mistakes an earlier attempt's for its own.</summary>
    public void Clear()
    {
        if (File.Exists(path))
        {
            File.Delete(path);
            DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }
}
