namespace Fleetward.Agent.Telemetry;

/// <summary>The persisted count of boots the agent has seen and the boot id of the latest.</summary>
public sealed record RebootCount(string BootId, long Reboots)
{
    /// <summary>
    /// The kernel makes a new random <c>/proc/sys/kernel/random/boot_id</c> at every boot, so a changed id
    /// means one reboot (at least) happened since the last reading; the first reading ever counts none.
    /// </summary>
    public static RebootCount Next(RebootCount? persisted, string currentBootId) =>
        persisted is null ? new RebootCount(currentBootId, 0)
        : persisted.BootId == currentBootId ? persisted
        : new RebootCount(currentBootId, persisted.Reboots + 1);
}

/// <summary>Keeps <see cref="RebootCount"/> across agent restarts in a two-line state file.</summary>
public sealed class RebootCounter(string stateFile, string bootIdFile = "/proc/sys/kernel/random/boot_id")
{
    public RebootCount Observe()
    {
        var current = File.ReadAllText(bootIdFile).Trim();
        var persisted = Load();
        var next = RebootCount.Next(persisted, current);
        if (next != persisted)
        {
            DurableFile.WriteAllText(stateFile, $"{next.BootId}\n{next.Reboots}\n");
        }
        return next;
    }

    private RebootCount? Load()
    {
        if (!File.Exists(stateFile))
        {
            return null;
        }
        var lines = File.ReadAllLines(stateFile);
        return lines.Length >= 2 && long.TryParse(lines[1], out var reboots) && reboots >= 0
            ? new RebootCount(lines[0], reboots)
            : throw new FormatException($"{stateFile}: expected a boot id line and a reboot count line");
    }
}
