using System.Diagnostics;
using System.Security.Cryptography;
using Fleetward.Agent.Slots;

namespace Fleetward.Integration.Tests.Slots;

/// <summary>
/// The A/B installer against the real boot-loader tools: U-Boot's environment through fw_printenv/fw_setenv
/// (Debian libubootenv-tool) on a redundant environment file made by mkenvimage (Debian u-boot-tools), and
/// GRUB's environment block through grub-editenv (Debian grub-common).
/// </summary>
public sealed class BootLoaderToolTests : IDisposable
{
    private static readonly byte[] Factory = RandomImage(7_000, 1);
    private static readonly byte[] Release = RandomImage(9_000, 2);
    private static readonly SlotInstallerOptions Options = new(BootLimit: 3, ChunkSize: 4096);
    private readonly string root = Path.Combine(Path.GetTempPath(), "fleetward-boot-" + Guid.NewGuid().ToString("N"));

    public BootLoaderToolTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void U_boot_environment_round_trips_through_fw_setenv_and_fw_printenv()
    {
        var control = NewUBoot(Path.Combine(root, "env"));
        control.Write(new BootEnvironment(Slot.B, true, 2, 5));

        Assert.Equal(new BootEnvironment(Slot.B, true, 2, 5), control.Read());
        Assert.Equal("b", Tool("fw_printenv", "-c", Path.Combine(root, "env", "fw_env.config"), "-n", "fleetward_slot").Trim());
        Assert.Equal("2", Tool("fw_printenv", "-c", Path.Combine(root, "env", "fw_env.config"), "-n", "bootcount").Trim());
    }

    [Fact]
    public void Grub_environment_round_trips_through_grub_editenv()
    {
        var control = NewGrub(Path.Combine(root, "env"));
        control.Write(new BootEnvironment(Slot.B, true, 1, 3));

        Assert.Equal(new BootEnvironment(Slot.B, true, 1, 3), control.Read());
        Assert.Contains("upgrade_available=1", Tool("grub-editenv", Path.Combine(root, "env", "grubenv"), "list"));
        Assert.Equal(1024, new FileInfo(Path.Combine(root, "env", "grubenv")).Length);
    }

    [Fact]
    public async Task Install_commits_through_u_boot_environment()
    {
        var device = SimulatedSlotDevice.Create(Path.Combine(root, "dev"), Factory, NewUBoot(Path.Combine(root, "env")));
        var status = await device.CreateInstaller(Health(true), Options).InstallAsync(Verified(), default);

        Assert.Equal(new InstallStatus("v2", InstallState.Succeeded, null, Slot.B), status);
        Assert.Equal("b", Tool("fw_printenv", "-c", Path.Combine(root, "env", "fw_env.config"), "-n", "fleetward_slot").Trim());
        Assert.Equal("0", Tool("fw_printenv", "-c", Path.Combine(root, "env", "fw_env.config"), "-n", "upgrade_available").Trim());
    }

    [Fact]
    public async Task Failed_health_rolls_back_through_grub_environment()
    {
        var device = SimulatedSlotDevice.Create(Path.Combine(root, "dev"), Factory, NewGrub(Path.Combine(root, "env")));
        var status = await device.CreateInstaller(Health(false), Options).InstallAsync(Verified(), default);

        Assert.Equal(InstallState.RolledBack, status.State);
        Assert.Equal(Slot.A, status.RunningSlot);
        Assert.Contains("fleetward_slot=a", Tool("grub-editenv", Path.Combine(root, "env", "grubenv"), "list"));
    }

    [Fact]
    public async Task Boot_limit_fallback_through_grub_environment()
    {
        var device = SimulatedSlotDevice.Create(Path.Combine(root, "dev"), Factory, NewGrub(Path.Combine(root, "env")), slotBoots: slot => slot == Slot.A);
        var status = await device.CreateInstaller(Health(true), Options).InstallAsync(Verified(), default);

        Assert.Equal(InstallState.RolledBack, status.State);
        Assert.StartsWith("boot limit exceeded", status.Reason);
    }

    [Fact]
    public async Task Power_loss_at_every_step_recovers_with_u_boot_environment()
    {
        var clean = await RunUBoot("clean", int.MaxValue);
        Assert.True(clean.Steps.Count > 8);
        var imageDurable = clean.Steps.IndexOf(InstallStep.JournalWritten) + 1;
        for (var k = 1; k <= clean.Steps.Count; k++)
        {
            var run = await RunUBoot($"k{k}", k);
            var expected = k < imageDurable
                ? (InstallState.Failed, Slot.A)
                : (InstallState.Succeeded, Slot.B);
            Assert.Equal(expected, (run.Final.State, run.Final.RunningSlot));
            var environment = NewUBootAt(Path.Combine(root, $"k{k}", "env")).Read();
            Assert.False(environment.UpgradeAvailable);
            Assert.Equal(run.Final.RunningSlot, environment.Slot);
        }
    }

    private async Task<(List<InstallStep> Steps, InstallStatus Final)> RunUBoot(string name, int crashAt)
    {
        var directory = Path.Combine(root, name);
        var device = SimulatedSlotDevice.Create(Path.Combine(directory, "dev"), Factory, NewUBoot(Path.Combine(directory, "env")));
        var crash = new PowerLossAt(crashAt);
        try
        {
            await device.CreateInstaller(Health(true), Options, crash).InstallAsync(Verified(), default);
        }
        catch (PowerLossException)
        {
        }
        var restarted = SimulatedSlotDevice.Open(Path.Combine(directory, "dev"), NewUBootAt(Path.Combine(directory, "env")));
        var booted = restarted.PowerCycle();
        Assert.True(Holds(restarted.Slots, booted, booted == Slot.A ? Factory : Release), $"booted slot {booted} holds no complete image");
        var final = await restarted.CreateInstaller(Health(true), Options).ResumeAsync(default);
        Assert.NotNull(final);
        Assert.True(Holds(restarted.Slots, final.RunningSlot, final.RunningSlot == Slot.A ? Factory : Release));
        return (crash.Steps, final);
    }

    private static UBootBootControl NewUBoot(string directory)
    {
        Directory.CreateDirectory(directory);
        var seed = Path.Combine(directory, "seed.txt");
        File.WriteAllText(seed, "bootlimit=3\nfleetward_slot=a\n");
        var copy = Path.Combine(directory, "copy.bin");
        Tool("mkenvimage", "-r", "-s", "0x4000", "-o", copy, seed);
        var image = File.ReadAllBytes(copy);
        File.WriteAllBytes(Path.Combine(directory, "uboot.env"), [.. image, .. image]);
        var environment = Path.Combine(directory, "uboot.env");
        File.WriteAllText(Path.Combine(directory, "fw_env.config"), $"{environment} 0x0000 0x4000\n{environment} 0x4000 0x4000\n");
        return NewUBootAt(directory);
    }

    private static UBootBootControl NewUBootAt(string directory) => new(Path.Combine(directory, "fw_env.config"));

    private static GrubBootControl NewGrub(string directory)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "grubenv");
        Tool("grub-editenv", file, "create");
        return new GrubBootControl(file);
    }

    private static VerifiedImage Verified() => new("v2", new MemoryStream(Release), Release.Length, SHA256.HashData(Release));

    private static IHealthCheck Health(bool reachable) => new AgentHealthCheck(_ => Task.FromResult(reachable), [], TimeSpan.FromSeconds(5));

    private static bool Holds(SlotDevices slots, Slot slot, byte[] image) =>
        slots.Sha256Of(slot, image.Length) is { } hash && hash.AsSpan().SequenceEqual(SHA256.HashData(image));

    private static byte[] RandomImage(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Tool(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }

    private sealed class PowerLossException() : Exception("power lost");

    private sealed class PowerLossAt(int k) : IInstallStepObserver
    {
        public List<InstallStep> Steps { get; } = [];

        public void Reached(InstallStep step)
        {
            Steps.Add(step);
            if (Steps.Count == k)
            {
                throw new PowerLossException();
            }
        }
    }
}
