using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

public sealed class SlotInstallerTests : IDisposable
{
    private static readonly SlotInstallerOptions SmallChunks = new(BootLimit: 3, ChunkSize: 4096);
    private readonly TemporaryDirectory directory = new();
    private readonly byte[] factory = Images.Make("v1", 10_000);
    private readonly byte[] release = Images.Make("v2", 12_345);

    public void Dispose() => directory.Dispose();

    private SimulatedSlotDevice NewDevice(Func<Slot, bool>? slotBoots = null) =>
        SimulatedSlotDevice.Create(directory.Path, factory, slotBoots: slotBoots);

    [Fact]
    public async Task Healthy_install_commits_the_inactive_slot()
    {
        var device = NewDevice();
        var status = await device.CreateInstaller(Images.Health(true), SmallChunks).InstallAsync(Images.Verified("v2", release), default);

        Assert.Equal(new InstallStatus("v2", InstallState.Succeeded, null, Slot.B), status);
        Assert.Equal(new BootEnvironment(Slot.B, false, 0, 3), device.BootControl.Read());
        Assert.True(Images.HoldsOneOf(device.Slots, Slot.B, release));
        Assert.True(Images.HoldsOneOf(device.Slots, Slot.A, factory));
        Assert.Equal(release.Length, new FileInfo(device.Slots.PathOf(Slot.B)).Length);
    }

    [Fact]
    public async Task Next_install_goes_back_to_the_other_slot()
    {
        var device = NewDevice();
        await device.CreateInstaller(Images.Health(true)).InstallAsync(Images.Verified("v2", release), default);
        var v3 = Images.Make("v3", 5000);
        var status = await device.CreateInstaller(Images.Health(true)).InstallAsync(Images.Verified("v3", v3), default);

        Assert.Equal(InstallState.Succeeded, status.State);
        Assert.Equal(Slot.A, status.RunningSlot);
        Assert.True(Images.HoldsOneOf(device.Slots, Slot.A, v3));
        Assert.Equal(v3.Length, new FileInfo(device.Slots.PathOf(Slot.A)).Length);
    }

    [Fact]
    public async Task Hash_mismatch_fails_without_touching_the_boot_environment()
    {
        var device = NewDevice();
        var image = Images.Verified("v2", release) with { Sha256 = System.Security.Cryptography.SHA256.HashData(factory) };
        var status = await device.CreateInstaller(Images.Health(true), SmallChunks).InstallAsync(image, default);

        Assert.Equal(InstallState.Failed, status.State);
        Assert.Contains("sha256", status.Reason);
        Assert.Equal(Slot.A, status.RunningSlot);
        Assert.Equal(BootEnvironment.Factory(), device.BootControl.Read());
    }

    [Fact]
    public async Task Longer_stream_than_announced_fails()
    {
        var device = NewDevice();
        var image = Images.Verified("v2", release) with { Length = release.Length - 1 };
        var status = await device.CreateInstaller(Images.Health(true), SmallChunks).InstallAsync(image, default);

        Assert.Equal(InstallState.Failed, status.State);
        Assert.Contains("longer", status.Reason);
        Assert.Equal(BootEnvironment.Factory(), device.BootControl.Read());
    }

    [Fact]
    public async Task Shorter_stream_than_announced_fails()
    {
        var device = NewDevice();
        var image = Images.Verified("v2", release) with { Length = release.Length + 1 };
        var status = await device.CreateInstaller(Images.Health(true), SmallChunks).InstallAsync(image, default);

        Assert.Equal(InstallState.Failed, status.State);
        Assert.Contains("differs from the expected", status.Reason);
    }

    [Fact]
    public async Task Failed_health_check_rolls_back_to_the_old_slot()
    {
        var device = NewDevice();
        var status = await device.CreateInstaller(Images.Health(false), SmallChunks).InstallAsync(Images.Verified("v2", release), default);

        Assert.Equal(InstallState.RolledBack, status.State);
        Assert.Equal("health check failed: server unreachable", status.Reason);
        Assert.Equal(Slot.A, status.RunningSlot);
        Assert.Equal(new BootEnvironment(Slot.A, false, 0, 3), device.BootControl.Read());
    }

    [Fact]
    public async Task Slot_that_never_boots_is_abandoned_by_the_boot_loader_after_the_limit()
    {
        var device = NewDevice(slotBoots: slot => slot == Slot.A);
        var status = await device.CreateInstaller(Images.Health(true), SmallChunks).InstallAsync(Images.Verified("v2", release), default);

        Assert.Equal(InstallState.RolledBack, status.State);
        Assert.StartsWith("boot limit exceeded", status.Reason);
        Assert.Equal(Slot.A, status.RunningSlot);
        Assert.Equal(new BootEnvironment(Slot.A, false, 4, 3), device.BootControl.Read());
    }

    [Fact]
    public async Task Install_after_a_boot_limit_fallback_clears_the_stale_boot_count()
    {
        var bootsB = false;
        var device = NewDevice(slotBoots: slot => slot == Slot.A || bootsB);
        await device.CreateInstaller(Images.Health(true)).InstallAsync(Images.Verified("v2", release), default);
        bootsB = true;
        var status = await device.CreateInstaller(Images.Health(true)).InstallAsync(Images.Verified("v2b", release), default);

        Assert.Equal(new InstallStatus("v2b", InstallState.Succeeded, null, Slot.B), status);
    }

    [Fact]
    public async Task Real_reboot_returns_rebooting_and_resume_after_boot_finishes()
    {
        var device = NewDevice();
        var reboot = new RecordingReboot();
        var installer = new SlotInstaller(device.Slots, device.BootControl, device.BootLoader, reboot, Images.Health(true), device.Journal);

        var status = await installer.InstallAsync(Images.Verified("v2", release), default);
        Assert.Equal(new InstallStatus("v2", InstallState.Rebooting, null, Slot.A), status);
        Assert.Equal(1, reboot.Requests);
        Assert.Equal(new BootEnvironment(Slot.B, true, 0, 3), device.BootControl.Read());

        device.PowerCycle();
        var resumed = await device.CreateInstaller(Images.Health(true)).ResumeAsync(default);
        Assert.Equal(new InstallStatus("v2", InstallState.Succeeded, null, Slot.B), resumed);
    }

    [Fact]
    public async Task Unsettled_boot_environment_refuses_a_new_install()
    {
        var device = NewDevice();
        device.BootControl.Write(new BootEnvironment(Slot.B, true, 0, 3));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => device.CreateInstaller(Images.Health(true)).InstallAsync(Images.Verified("v2", release), default));
        Assert.Contains("not settled", error.Message);
    }

    [Fact]
    public async Task Unfinished_install_must_be_resumed_before_another()
    {
        var device = NewDevice();
        var installer = new SlotInstaller(device.Slots, device.BootControl, device.BootLoader, new RecordingReboot(), Images.Health(true), device.Journal);
        await installer.InstallAsync(Images.Verified("v2", release), default);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => installer.InstallAsync(Images.Verified("v3", release), default));
        Assert.Contains("unfinished", error.Message);
    }

    [Fact]
    public void Status_is_null_before_any_install()
    {
        Assert.Null(NewDevice().CreateInstaller(Images.Health(true)).Status);
    }

    [Fact]
    public async Task Wrong_hash_size_is_rejected_naming_the_field()
    {
        var device = NewDevice();
        var image = Images.Verified("v2", release) with { Sha256 = new byte[20] };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => device.CreateInstaller(Images.Health(true)).InstallAsync(image, default));
        Assert.Contains("Sha256", error.Message);
    }

    private sealed class RecordingReboot : IRebootAction
    {
        public int Requests { get; private set; }

        public Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(RebootOutcome.Pending);
        }
    }
}
