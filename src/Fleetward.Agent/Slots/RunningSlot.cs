namespace Fleetward.Agent.Slots;

/// <summary>
/// Which slot the system is running now. After a reboot this is what the boot loader chose, which may
/// differ from what the agent asked for (a boot-count fallback), so it is read, never assumed.
/// </summary>
public interface IRunningSlot
{
    Slot Current { get; }
}

/// <summary>
/// The running slot as the boot loader passed it on the kernel command line (for example
/// <c>fleetward.slot=b</c>, set by the U-Boot or GRUB script from the slot variable).
/// </summary>
public sealed class KernelCommandLineSlot(string commandLineFile = "/proc/cmdline", string parameter = "fleetward.slot") : IRunningSlot
{
    public Slot Current => Parse(File.ReadAllText(commandLineFile), parameter);

    public static Slot Parse(string commandLine, string parameter)
    {
        var prefix = parameter + "=";
        var token = commandLine.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .LastOrDefault(part => part.StartsWith(prefix, StringComparison.Ordinal));
        return token is null
            ? throw new FormatException($"{parameter}: kernel command line does not name the running slot")
            : SlotNames.Parse(token[prefix.Length..], parameter);
    }
}
