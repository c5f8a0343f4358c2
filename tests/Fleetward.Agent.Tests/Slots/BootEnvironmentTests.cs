using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

public sealed class BootEnvironmentTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Variables_round_trip()
    {
        var environment = new BootEnvironment(Slot.B, true, 2, 5);
        Assert.Equal(environment, BootEnvironment.FromVariables(environment.ToVariables("s"), "s"));
    }

    [Fact]
    public void Missing_boot_count_and_upgrade_flag_mean_zero_as_in_u_boot()
    {
        var variables = new Dictionary<string, string> { ["s"] = "a", ["bootlimit"] = "3" };
        Assert.Equal(new BootEnvironment(Slot.A, false, 0, 3), BootEnvironment.FromVariables(variables, "s"));
    }

    [Fact]
    public void Missing_slot_names_the_variable()
    {
        var error = Assert.Throws<FormatException>(() => BootEnvironment.FromVariables(new Dictionary<string, string> { ["bootlimit"] = "3" }, "boot_slot"));
        Assert.StartsWith("boot_slot:", error.Message);
    }

    [Fact]
    public void Bad_count_names_the_variable()
    {
        var variables = new Dictionary<string, string> { ["s"] = "a", ["bootlimit"] = "3", ["bootcount"] = "-1" };
        var error = Assert.Throws<FormatException>(() => BootEnvironment.FromVariables(variables, "s"));
        Assert.StartsWith("bootcount:", error.Message);
    }

    [Fact]
    public void Unknown_slot_name_is_refused()
    {
        var variables = new Dictionary<string, string> { ["s"] = "c", ["bootlimit"] = "3" };
        Assert.Throws<FormatException>(() => BootEnvironment.FromVariables(variables, "s"));
    }

    [Fact]
    public void File_backend_round_trips_and_leaves_no_temporary_file()
    {
        var control = new FileBootControl(directory.Sub("bootenv"));
        control.Write(new BootEnvironment(Slot.B, true, 1, 3));
        Assert.Equal(new BootEnvironment(Slot.B, true, 1, 3), control.Read());
        Assert.Equal(["bootenv"], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Kernel_command_line_names_the_running_slot()
    {
        Assert.Equal(Slot.B, KernelCommandLineSlot.Parse("console=ttyS0 root=/dev/mmcblk0p3 fleetward.slot=b quiet\n", "fleetward.slot"));
        Assert.Throws<FormatException>(() => KernelCommandLineSlot.Parse("console=ttyS0 quiet", "fleetward.slot"));
    }
}

public sealed class SimulatedBootLoaderTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private (FileBootControl Control, SimulatedBootLoader Loader) Make(BootEnvironment environment, Func<Slot, bool>? slotBoots = null)
    {
        var control = new FileBootControl(directory.Sub("bootenv"));
        control.Write(environment);
        return (control, new SimulatedBootLoader(control, directory.Sub("booted"), slotBoots));
    }

    [Fact]
    public void Settled_boot_leaves_the_count_alone()
    {
        var (control, loader) = Make(new BootEnvironment(Slot.B, false, 0, 3));
        Assert.Equal(Slot.B, loader.Boot());
        Assert.Equal(Slot.B, loader.Current);
        Assert.Equal(new BootEnvironment(Slot.B, false, 0, 3), control.Read());
    }

    [Fact]
    public void Trial_boot_increments_the_count()
    {
        var (control, loader) = Make(new BootEnvironment(Slot.B, true, 0, 3));
        Assert.Equal(Slot.B, loader.Boot());
        Assert.Equal(new BootEnvironment(Slot.B, true, 1, 3), control.Read());
    }

    [Fact]
    public void Boot_at_the_limit_still_tries_the_new_slot()
    {
        var (_, loader) = Make(new BootEnvironment(Slot.B, true, 2, 3));
        Assert.Equal(Slot.B, loader.Boot());
    }

    [Fact]
    public void Boot_past_the_limit_runs_the_alternative_boot()
    {
        var (control, loader) = Make(new BootEnvironment(Slot.B, true, 3, 3));
        Assert.Equal(Slot.A, loader.Boot());
        Assert.Equal(new BootEnvironment(Slot.A, false, 4, 3), control.Read());
    }

    [Fact]
    public void Settled_slot_that_does_not_boot_is_reported()
    {
        var (_, loader) = Make(new BootEnvironment(Slot.B, false, 0, 3), slotBoots: slot => slot == Slot.A);
        Assert.Throws<InvalidOperationException>(() => loader.Boot());
    }
}
