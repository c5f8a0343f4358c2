using Fleetward.Agent.Tuf;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Tuf;

public class TufUpdaterTests
{
    [Fact]
    public async Task Refresh_then_download_verifies_and_persists_each_role()
    {
        var repo = new SimulatedTufRepository();
        repo.AddTarget("fw/app.bin", [1, 2, 3], securityVersion: 4);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        Assert.Equal([1, 2, 3], await device.UpdateAsync("fw/app.bin"));
        foreach (var role in new[] { "root", "timestamp", "snapshot", "targets" }) Assert.NotNull(device.Store.Read(role));
        Assert.Equal(4, device.Store.InstalledSecurityVersion);
    }

    [Fact]
    public async Task Consistent_snapshot_fetches_versioned_metadata_and_hash_prefixed_targets()
    {
        var repo = new SimulatedTufRepository();
        var info = repo.AddTarget("fw/app.bin", [7]);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        await device.UpdateAsync("fw/app.bin");
        Assert.Contains("2.snapshot.json", repo.Requests);
        Assert.Contains("2.targets.json", repo.Requests);
        Assert.Contains($"targets/fw/{info.Hashes["sha256"]}.app.bin", repo.Requests);
    }

    [Fact]
    public async Task Without_consistent_snapshots_plain_names_are_fetched()
    {
        var repo = new SimulatedTufRepository(consistentSnapshot: false);
        repo.AddTarget("app.bin", [7]);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        Assert.Equal([7], await device.UpdateAsync("app.bin"));
        Assert.Contains("snapshot.json", repo.Requests);
        Assert.Contains("targets/app.bin", repo.Requests);
    }

    [Fact]
    public async Task Second_refresh_uses_cached_snapshot_and_targets_when_current()
    {
        var repo = new SimulatedTufRepository();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        repo.Requests.Clear();
        await device.Updater.RefreshAsync();
        Assert.Equal(["2.root.json", "timestamp.json"], repo.Requests);
    }

    [Fact]
    public async Task Refresh_without_init_fails_naming_root()
    {
        var repo = new SimulatedTufRepository();
        using var device = new SimulatedDevice(repo);
        device.Store.Delete(TufRoles.Root);
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.RefreshAsync());
        Assert.Equal(TufRoles.Root, e.Role);
    }

    [Fact]
    public async Task Unknown_target_is_reported_as_not_found()
    {
        var repo = new SimulatedTufRepository();
        using var device = new SimulatedDevice(repo);
        await device.Updater.RefreshAsync();
        var e = await Assert.ThrowsAsync<TufTrustException>(() => device.Updater.FindTargetAsync("missing.bin"));
        Assert.Equal(TufTrustFailure.TargetNotFound, e.Reason);
    }

    [Fact]
    public async Task Failed_download_leaves_no_file_behind()
    {
        var repo = new SimulatedTufRepository();
        var info = repo.AddTarget("app.bin", [1, 2, 3]);
        repo.Publish();
        repo.Targets[$"{info.Hashes["sha256"]}.app.bin"] = [9, 9, 9];
        using var device = new SimulatedDevice(repo);
        await Assert.ThrowsAsync<TufTrustException>(() => device.UpdateAsync("app.bin"));
        Assert.Empty(Directory.GetFiles(device.DownloadDirectory));
    }
}

public class TufMetadataDirectoryTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "fleetward-tufdir-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Writes_replace_atomically_and_leave_no_temp_files()
    {
        var store = new TufMetadataDirectory(_path);
        store.Write("timestamp", [1]);
        store.Write("timestamp", [2, 3]);
        Assert.Equal([2, 3], store.Read("timestamp"));
        Assert.Single(Directory.GetFiles(_path));
    }

    [Fact]
    public void Delegated_role_names_cannot_escape_the_directory()
    {
        var store = new TufMetadataDirectory(_path);
        store.Write("../../evil", [1]);
        Assert.Single(Directory.GetFiles(_path));
        Assert.Equal([1], store.Read("../../evil"));
    }

    [Fact]
    public void Installed_security_version_only_rises()
    {
        var store = new TufMetadataDirectory(_path);
        Assert.Equal(0, store.InstalledSecurityVersion);
        store.RaiseInstalledSecurityVersion(5);
        store.RaiseInstalledSecurityVersion(3);
        Assert.Equal(5, new TufMetadataDirectory(_path).InstalledSecurityVersion);
    }

    public void Dispose()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
    }
}

public class TufUpdaterTargetPathTests
{
    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public async Task Target_paths_that_name_a_directory_are_refused(string path)
    {
        var repo = new SimulatedTufRepository();
        repo.AddTarget(path, [1]);
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        var e = await Assert.ThrowsAsync<Fleetward.Trust.Tuf.TufTrustException>(() => device.UpdateAsync(path));
        Assert.Equal(Fleetward.Trust.Tuf.TufTrustFailure.Malformed, e.Reason);
    }

    [Fact]
    public async Task Malformed_security_version_is_refused_as_malformed()
    {
        var repo = new SimulatedTufRepository();
        var info = Fleetward.Trust.Tuf.TargetFileInfo.FromContent([1], new System.Text.Json.Nodes.JsonObject { ["security_version"] = "high" });
        repo.Builder.AddTarget("a.bin", info);
        foreach (var name in info.RepositoryPaths("a.bin", true)) repo.Targets[name] = [1];
        repo.Publish();
        using var device = new SimulatedDevice(repo);
        var e = await Assert.ThrowsAsync<Fleetward.Trust.Tuf.TufTrustException>(() => device.UpdateAsync("a.bin"));
        Assert.Equal(Fleetward.Trust.Tuf.TufTrustFailure.Malformed, e.Reason);
        Assert.Contains("custom.security_version", e.Message);
    }
}
