using System.Globalization;
using System.Text;

namespace Fleetward.Agent.Slots;

/// <summary>
/// The boot-loader half of the A/B scheme, to install once on a device: it boots the slot named by the
/// slot variable, passes <c>fleetward.slot=</c> on the kernel command line (read by
/// <see cref="KernelCommandLineSlot"/>) and applies the boot-count rule that <see cref="SimulatedBootLoader"/> plays.
/// </summary>
public static class BootLoaderScripts
{
    /// <summary>GRUB script has no arithmetic, so the count is stepped through a table up to this value.</summary>
    public const int GrubMaxBootLimit = 9;

    /// <summary>
    /// U-Boot environment lines for <c>fw_setenv -s</c>. U-Boot built with CONFIG_BOOTCOUNT_LIMIT and
    /// CONFIG_BOOTCOUNT_ENV increments <c>bootcount</c> while <c>upgrade_available</c> is 1 and runs
    /// <c>altbootcmd</c> instead of <c>bootcmd</c> once it exceeds <c>bootlimit</c> (U-Boot doc "Boot Count Limit").
    /// </summary>
    /// <param name="device">Storage as U-Boot names it, e.g. "mmc 0".</param>
    /// <param name="partitionA">Partition number of slot A on <paramref name="device"/>.</param>
    /// <param name="partitionB">Partition number of slot B.</param>
    /// <param name="linuxDevicePrefix">Linux name of the same storage's partitions, e.g. "/dev/mmcblk0p".</param>
    public static string UBootEnvironment(
        string device,
        int partitionA,
        int partitionB,
        string linuxDevicePrefix,
        string slotVariable = BootEnvironment.DefaultSlotVariable,
        string kernel = "/boot/Image")
    {
        var a = partitionA.ToString(CultureInfo.InvariantCulture);
        var b = partitionB.ToString(CultureInfo.InvariantCulture);
        var lines = new StringBuilder();
        lines.Append("bootcmd=run fleetward_boot\n");
        lines.Append("fleetward_boot=")
            .Append($"if test \"${{{slotVariable}}}\" = \"b\"; then setenv fleetward_part {b}; else setenv fleetward_part {a}; fi; ")
            .Append($"setenv bootargs \"${{fleetward_bootargs}} root={linuxDevicePrefix}${{fleetward_part}} fleetward.slot=${{{slotVariable}}}\"; ")
            // A kernel that cannot be loaded or started must not leave the board at a prompt: reset so the next boot counts
            // against bootlimit and altbootcmd falls back to the other slot.
            .Append($"load {device}:${{fleetward_part}} ${{kernel_addr_r}} {kernel} && booti ${{kernel_addr_r}} - ${{fdt_addr}}; reset\n");
        lines.Append("altbootcmd=")
            .Append($"if test \"${{{slotVariable}}}\" = \"b\"; then setenv {slotVariable} a; else setenv {slotVariable} b; fi; ")
            .Append($"setenv {BootEnvironment.UpgradeAvailableVariable} 0; saveenv; run fleetward_boot\n");
        return lines.ToString();
    }

    /// <summary>
    /// The slot-selection part of grub.cfg: reads the variables from grubenv (<paramref name="environmentFile"/>;
    /// GRUB's default is the grubenv next to grub.cfg), counts trial boots, falls back past the limit and saves
    /// the result with <c>save_env</c> (which needs grubenv on a plain file system, not LVM/RAID/btrfs).
    /// Afterwards the slot variable names the slot to boot.
    /// </summary>
    public static string GrubSlotSelection(string slotVariable = BootEnvironment.DefaultSlotVariable, string? environmentFile = null)
    {
        const string count = BootEnvironment.BootCountVariable;
        const string limit = BootEnvironment.BootLimitVariable;
        const string upgrade = BootEnvironment.UpgradeAvailableVariable;
        var file = environmentFile is null ? "" : $"-f {environmentFile} ";
        var script = new StringBuilder();
        script.Append($"set {slotVariable}=a\nset {upgrade}=0\nset {count}=0\nset {limit}=3\n");
        script.Append($"load_env {file}{slotVariable} {upgrade} {count} {limit}\n");
        script.Append($"if [ \"${{{upgrade}}}\" = \"1\" ]; then\n");
        for (var step = 0; step <= GrubMaxBootLimit; step++)
        {
            var keyword = step == 0 ? "  if" : "  elif";
            script.Append(CultureInfo.InvariantCulture, $"{keyword} [ \"${{{count}}}\" = \"{step}\" ]; then set {count}={step + 1}\n");
        }
        script.Append("  fi\n");
        script.Append($"  if [ \"${{{count}}}\" -gt \"${{{limit}}}\" ]; then\n");
        script.Append($"    if [ \"${{{slotVariable}}}\" = \"b\" ]; then set {slotVariable}=a; else set {slotVariable}=b; fi\n");
        script.Append($"    set {upgrade}=0\n");
        script.Append("  fi\n");
        script.Append($"  save_env {file}{slotVariable} {upgrade} {count}\n");
        script.Append("fi\n");
        return script.ToString();
    }

    /// <summary>A complete grub.cfg: <see cref="GrubSlotSelection"/>, then one entry booting the chosen slot.</summary>
    /// <param name="rootA">GRUB device of slot A, e.g. "(hd0,gpt2)"; <paramref name="linuxRootA"/> its Linux name.</param>
    public static string GrubConfig(
        string rootA,
        string rootB,
        string linuxRootA,
        string linuxRootB,
        string slotVariable = BootEnvironment.DefaultSlotVariable,
        string kernel = "/boot/vmlinuz",
        string initrd = "/boot/initrd.img")
    {
        var script = new StringBuilder(GrubSlotSelection(slotVariable));
        script.Append($"if [ \"${{{slotVariable}}}\" = \"b\" ]; then\n  set fleetward_root={rootB}\n  set fleetward_linux_root={linuxRootB}\nelse\n  set fleetward_root={rootA}\n  set fleetward_linux_root={linuxRootA}\nfi\n");
        script.Append($"export {slotVariable} fleetward_root fleetward_linux_root\n");
        // An entry that fails to load falls back to entry 1, which reboots, so the failed trial counts and the
        // slot-selection script above falls back once the limit is reached.
        script.Append("set default=0\nset timeout=0\nset fallback=1\n");
        script.Append($"menuentry \"Fleetward slot ${{{slotVariable}}}\" {{\n");
        script.Append("  set root=${fleetward_root}\n");
        script.Append($"  linux {kernel} root=${{fleetward_linux_root}} ro fleetward.slot=${{{slotVariable}}}\n");
        script.Append($"  initrd {initrd}\n");
        script.Append("}\n");
        script.Append("menuentry \"Fleetward: reboot after a failed boot\" {\n  reboot\n}\n");
        return script.ToString();
    }
}
