namespace Fleetward.Agent.Slots;

/// <summary>
/// A complete A/B device in one directory (slot-a.img, slot-b.img, boot environment, booted-slot record,
/// install journal), for the simulator and for tests. The boot environment is the file backend unless
/// another <see cref="IBootControl"/> (U-Boot, GRUB) is given; the boot loader is simulated either way.
/// </summary>
public sealed class SimulatedSlotDevice
{
    private SimulatedSlotDevice(string directory, IBootControl bootControl, Func<Slot, bool>? slotBoots)
    {
        Directory = directory;
        BootControl = bootControl;
        Slots = SlotDevices.InDirectory(directory);
        BootLoader = new SimulatedBootLoader(bootControl, Path.Combine(directory, "booted-slot"), slotBoots);
        Journal = new InstallJournalStore(Path.Combine(directory, "install-journal.json"));
    }

    public string Directory { get; }

    public IBootControl BootControl { get; }

    public SlotDevices Slots { get; }

    public SimulatedBootLoader BootLoader { get; }

    public InstallJournalStore Journal { get; }

    /// <summary>
    /// Flashes <paramref name="factoryImage"/> to slot A, writes a factory boot environment (when
    /// <paramref name="bootControl"/> is null, as a file in the directory) and boots the device.
    /// </summary>
    public static SimulatedSlotDevice Create(string directory, ReadOnlySpan<byte> factoryImage, IBootControl? bootControl = null, int bootLimit = 3, Func<Slot, bool>? slotBoots = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var device = new SimulatedSlotDevice(directory, bootControl ?? DefaultBootControl(directory), slotBoots);
        using (var slotA = device.Slots.OpenForWrite(Slot.A))
        {
            slotA.Write(factoryImage);
            slotA.Flush(flushToDisk: true);
        }
        device.BootControl.Write(BootEnvironment.Factory(bootLimit));
        device.BootLoader.Boot();
        return device;
    }

    /// <summary>Opens a device created earlier, as the agent does after a restart.</summary>
    public static SimulatedSlotDevice Open(string directory, IBootControl? bootControl = null, Func<Slot, bool>? slotBoots = null) =>
        new(directory, bootControl ?? DefaultBootControl(directory), slotBoots);

    public SlotInstaller CreateInstaller(IHealthCheck healthCheck, SlotInstallerOptions? options = null, IInstallStepObserver? observer = null) =>
        new(Slots, BootControl, BootLoader, BootLoader, healthCheck, Journal, options, observer);

    /// <summary>Power loss and power on: the boot loader runs and picks a slot.</summary>
    public Slot PowerCycle() => BootLoader.Boot();

    private static FileBootControl DefaultBootControl(string directory) => new(Path.Combine(directory, "bootenv"));
}
