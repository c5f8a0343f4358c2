using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Fleetward.Agent.Slots;

namespace Fleetward.Integration.Tests.Slots;

/// <summary>
/// Boots through GRUB itself: grub-emu (Debian grub-emu) runs the slot-selection script from
/// <see cref="BootLoaderScripts.GrubSlotSelection"/> against a grubenv kept on an ext2 image (made with
/// mke2fs -d and read back with debugfs, Debian e2fsprogs), as on a device's /boot partition, while the agent
/// side edits the same grubenv with grub-editenv. A slot rejected by <paramref name="slotBoots"/> is reset as
/// a watchdog would and GRUB runs again.
/// </summary>
public sealed partial class GrubEmuBootLoader(string directory, GrubBootControl control, Func<Slot, bool>? slotBoots = null) : IRunningSlot, IRebootAction
{
    public string EnvironmentFile => Path.Combine(directory, "grubenv");

    public int Boots { get; private set; }

    public Slot Current => SlotNames.Parse(File.ReadAllText(Path.Combine(directory, "booted-slot")), "booted-slot");

    public Slot Boot()
    {
        while (true)
        {
            var slot = RunGrub();
            Boots++;
            if (slotBoots is null || slotBoots(slot))
            {
                File.WriteAllText(Path.Combine(directory, "booted-slot"), slot.ToName());
                return slot;
            }
            if (!control.Read().UpgradeAvailable)
            {
                throw new InvalidOperationException($"slot {slot.ToName()} does not boot and no fallback is armed");
            }
        }
    }

    public Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
    {
        Boot();
        return Task.FromResult(RebootOutcome.Restarted);
    }

    private Slot RunGrub()
    {
        var work = Path.Combine(directory, "grub-emu");
        var stage = Path.Combine(work, "boot");
        Directory.CreateDirectory(stage);
        File.Copy(EnvironmentFile, Path.Combine(stage, "grubenv"), overwrite: true);
        var image = Path.Combine(work, "boot.img");
        File.Delete(image);
        Tool("mke2fs", "-q", "-t", "ext2", "-d", stage, image, "2M");
        File.WriteAllText(Path.Combine(work, "device.map"), $"(hd0) {image}\n");
        File.WriteAllText(Path.Combine(work, "grub.cfg"),
            BootLoaderScripts.GrubSlotSelection(environmentFile: "(hd0)/grubenv") + "echo \"FLEETWARD_BOOT ${fleetward_slot}\"\nhalt\n");

        var output = Tool("grub-emu", "-d", work, "-r", "host", "-m", Path.Combine(work, "device.map"));
        var booted = BootLine().Match(output);
        Assert.True(booted.Success, $"grub-emu did not pick a slot: {output}");
        Assert.DoesNotContain("error:", output);

        var saved = Path.Combine(work, "grubenv.saved");
        File.Delete(saved);
        Tool("debugfs", "-R", $"dump /grubenv {saved}", image);
        File.Copy(saved, EnvironmentFile, overwrite: true);
        return SlotNames.Parse(booted.Groups[1].Value, "grub-emu output");
    }

    [GeneratedRegex("FLEETWARD_BOOT ([ab])")]
    private static partial Regex BootLine();

    internal static string Tool(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail($"{file} did not finish");
        }
        Assert.True(process.ExitCode == 0, $"{file} exited with {process.ExitCode}: {error.Result}");
        return output + error.Result;
    }
}

public sealed class GrubEmuBootTests : IDisposable
{
    private static readonly byte[] Factory = RandomNumberGenerator.GetBytes(6_000);
    private static readonly byte[] Release = RandomNumberGenerator.GetBytes(8_000);
    private static readonly SlotInstallerOptions Options = new(BootLimit: 2, ChunkSize: 4096);
    private readonly string root = Path.Combine(Path.GetTempPath(), "fleetward-grub-" + Guid.NewGuid().ToString("N"));

    public GrubEmuBootTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    private sealed record Device(SlotDevices Slots, GrubBootControl Control, GrubEmuBootLoader Loader, InstallJournalStore Journal)
    {
        public SlotInstaller Installer(bool healthy, IInstallStepObserver? observer = null) => new(
            Slots, Control, Loader, Loader,
            new AgentHealthCheck(_ => Task.FromResult(healthy), [], TimeSpan.FromSeconds(5)),
            Journal, Options, observer);
    }

    private static Device Open(string directory, Func<Slot, bool>? slotBoots = null)
    {
        var control = new GrubBootControl(Path.Combine(directory, "grubenv"));
        return new Device(SlotDevices.InDirectory(directory), control, new GrubEmuBootLoader(directory, control, slotBoots),
            new InstallJournalStore(Path.Combine(directory, "install-journal.json")));
    }

    private Device Create(string name, Func<Slot, bool>? slotBoots = null)
    {
        var directory = Path.Combine(root, name);
        Directory.CreateDirectory(directory);
        var device = Open(directory, slotBoots);
        File.WriteAllBytes(device.Slots.PathOf(Slot.A), Factory);
        GrubEmuBootLoader.Tool("grub-editenv", device.Loader.EnvironmentFile, "create");
        device.Control.Write(BootEnvironment.Factory(Options.BootLimit));
        Assert.Equal(Slot.A, device.Loader.Boot());
        return device;
    }

    [Fact]
    public void Grub_counts_trial_boots_and_falls_back_past_the_limit()
    {
        var device = Create("count");
        device.Control.Write(new BootEnvironment(Slot.B, true, 0, 2));

        Assert.Equal(Slot.B, device.Loader.Boot());
        Assert.Equal(new BootEnvironment(Slot.B, true, 1, 2), device.Control.Read());
        Assert.Equal(Slot.B, device.Loader.Boot());
        Assert.Equal(Slot.A, device.Loader.Boot());
        Assert.Equal(new BootEnvironment(Slot.A, false, 3, 2), device.Control.Read());
        Assert.Equal(Slot.A, device.Loader.Boot());
        Assert.Equal(new BootEnvironment(Slot.A, false, 3, 2), device.Control.Read());
    }

    [Fact]
    public async Task Install_commits_after_a_real_grub_boot()
    {
        var device = Create("commit");
        var status = await device.Installer(healthy: true).InstallAsync(Verified(), default);

        Assert.Equal(new InstallStatus("v2", InstallState.Succeeded, null, Slot.B), status);
        Assert.Equal(new BootEnvironment(Slot.B, false, 0, 2), device.Control.Read());
        Assert.Equal(Slot.B, device.Loader.Boot());
    }

    [Fact]
    public async Task Slot_that_never_boots_is_abandoned_by_grub()
    {
        var device = Create("never", slotBoots: slot => slot == Slot.A);
        var status = await device.Installer(healthy: true).InstallAsync(Verified(), default);

        Assert.Equal(InstallState.RolledBack, status.State);
        Assert.Equal("boot limit exceeded: slot b booted 3 times, limit 2", status.Reason);
        Assert.Equal(Slot.A, status.RunningSlot);
    }

    [Fact]
    public async Task Power_loss_at_every_step_recovers_through_real_grub_boots()
    {
        var clean = new PowerLossAt(int.MaxValue);
        await Create("clean").Installer(true, clean).InstallAsync(Verified(), default);
        var imageDurable = clean.Steps.IndexOf(InstallStep.JournalWritten) + 1;

        for (var k = 1; k <= clean.Steps.Count; k++)
        {
            var device = Create($"k{k}");
            await Assert.ThrowsAsync<PowerLossException>(() => device.Installer(true, new PowerLossAt(k)).InstallAsync(Verified(), default));

            var restarted = Open(Path.Combine(root, $"k{k}"));
            var booted = restarted.Loader.Boot();
            Assert.True(Holds(restarted.Slots, booted, booted == Slot.A ? Factory : Release), $"k={k}: slot {booted} holds no complete image");
            var final = await restarted.Installer(true).ResumeAsync(default);

            var expected = k < imageDurable ? (InstallState.Failed, Slot.A) : (InstallState.Succeeded, Slot.B);
            Assert.Equal(expected, (final!.State, final.RunningSlot));
            Assert.False(restarted.Control.Read().UpgradeAvailable);
        }
    }

    private static VerifiedImage Verified() => new("v2", new MemoryStream(Release), Release.Length, SHA256.HashData(Release));

    private static bool Holds(SlotDevices slots, Slot slot, byte[] image) =>
        slots.Sha256Of(slot, image.Length) is { } hash && hash.AsSpan().SequenceEqual(SHA256.HashData(image));

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
