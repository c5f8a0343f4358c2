using System.Diagnostics;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Tuf;

namespace Fleetward.Integration.Tests.Tuf;

/// <summary>
/// The npm tuf-js client and @tufjs/models from tests/interop/tuf-js (installed with <c>npm ci</c> from the committed
/// lock file when node_modules is missing; needs Node 20 and npm on PATH).
/// </summary>
public sealed class TufJsEnvironment
{
    public TufJsEnvironment()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "tests", "interop", "tuf-js", "package.json")))
            directory = directory.Parent;
        Folder = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("tests/interop/tuf-js not found above " + AppContext.BaseDirectory),
            "tests", "interop", "tuf-js");
        if (!File.Exists(Path.Combine(Folder, "node_modules", "tuf-js", "package.json")))
        {
            var install = Run("npm", ["ci", "--no-audit", "--no-fund"], Folder, TimeSpan.FromMinutes(5));
            if (install.Code != 0) throw new InvalidOperationException("npm ci failed: " + install.Error);
        }
    }

    public string Folder { get; }

    public (int Code, string Output, string Error) Node(params string[] args) =>
        Run("node", args, Folder, TimeSpan.FromMinutes(2));

    private static (int Code, string Output, string Error) Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {limit}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>Independent peers: tuf-js verifies a Fleetward-built repository, Fleetward verifies an @tufjs/models-built one.</summary>
public sealed class TufJsInteropTests : IClassFixture<TufJsEnvironment>, IDisposable
{
    private static readonly byte[] Firmware = System.Text.Encoding.UTF8.GetBytes("firmware built by Fleetward\n");
    private readonly TufJsEnvironment _tufJs;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fleetward-tufjs-" + Guid.NewGuid().ToString("N"));

    public TufJsInteropTests(TufJsEnvironment tufJs)
    {
        _tufJs = tufJs;
        Directory.CreateDirectory(_dir);
    }

    // ---- tuf-js client against a Fleetward repository -----------------------------------------------------------

    private (int Code, string Output, string Error) TufJsDownload(FleetwardTestRepository repo, string targetName)
    {
        using var server = new LoopbackStaticServer(repo.Serve);
        var metadataDir = Path.Combine(_dir, "tufjs-metadata");
        Directory.CreateDirectory(metadataDir);
        File.WriteAllBytes(Path.Combine(metadataDir, "root.json"), repo.RootFile);
        return _tufJs.Node("client.js", metadataDir, new Uri(server.BaseUrl, "metadata").AbsoluteUri,
            new Uri(server.BaseUrl, "targets/").AbsoluteUri, Path.Combine(_dir, "tufjs-targets"), targetName);
    }

    private static FleetwardTestRepository FleetwardRepository()
    {
        var repo = new FleetwardTestRepository(DateTimeOffset.UtcNow);
        repo.AddTarget("fw/robot.img", Firmware, securityVersion: 3);
        repo.Builder.Publish(DateTimeOffset.UtcNow);
        return repo;
    }

    [Fact]
    public void Tuf_js_downloads_and_verifies_a_target_from_a_Fleetward_repository()
    {
        var repo = FleetwardRepository();
        var result = TufJsDownload(repo, "fw/robot.img");
        Assert.True(result.Code == 0, result.Error + result.Output);
        Assert.Contains("\"security_version\":3", result.Output);
        Assert.Equal(Firmware, File.ReadAllBytes(Path.Combine(_dir, "tufjs-targets", Uri.EscapeDataString("fw/robot.img"))));
    }

    [Fact]
    public void Tuf_js_follows_a_Fleetward_root_rotation()
    {
        var repo = FleetwardRepository();
        var newRoot = Fleetward.Trust.Crypto.EcdsaTufSigner.Generate();
        repo.Builder.RotateRoot(r => r.WithRole(TufRoles.Root, new([newRoot.PublicKey], 1)), [repo.Signers[TufRoles.Root], newRoot], DateTimeOffset.UtcNow);
        var result = TufJsDownload(repo, "fw/robot.img");
        Assert.True(result.Code == 0, result.Error + result.Output);
    }

    [Fact]
    public void Tuf_js_finds_a_target_through_a_Fleetward_delegated_security_role()
    {
        var repo = FleetwardRepository();
        var securityKey = Fleetward.Trust.Crypto.EcdsaTufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets,
            new DelegatedRole { Name = "security", Keys = new([securityKey.PublicKey.KeyId], 1), Paths = ["security/*"], Terminating = true },
            [securityKey.PublicKey], [securityKey]);
        var patch = System.Text.Encoding.UTF8.GetBytes("security patch\n");
        var info = TargetFileInfo.FromContent(patch, TargetSecurityVersion.Custom(4));
        repo.Builder.AddTarget("security/patch.bin", info, "security");
        foreach (var name in info.RepositoryPaths("security/patch.bin", true)) repo.Targets[name] = patch;
        repo.Builder.Publish(DateTimeOffset.UtcNow);
        var result = TufJsDownload(repo, "security/patch.bin");
        Assert.True(result.Code == 0, result.Error + result.Output);
        Assert.Equal(patch, File.ReadAllBytes(Path.Combine(_dir, "tufjs-targets", Uri.EscapeDataString("security/patch.bin"))));
    }

    [Fact]
    public void Tuf_js_refuses_a_tampered_target_from_a_Fleetward_repository()
    {
        var repo = FleetwardRepository();
        foreach (var name in repo.Targets.Keys.ToList()) repo.Targets[name] = System.Text.Encoding.UTF8.GetBytes("firmware built by Mallory\n");
        var result = TufJsDownload(repo, "fw/robot.img");
        Assert.Equal(1, result.Code);
        Assert.Contains("refused", result.Error);
    }

    [Fact]
    public void Tuf_js_refuses_expired_Fleetward_metadata()
    {
        var repo = FleetwardRepository();
        repo.Builder.RefreshTimestamp(DateTimeOffset.UtcNow.AddDays(-2));
        var result = TufJsDownload(repo, "fw/robot.img");
        Assert.Equal(1, result.Code);
        Assert.Contains("expired", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    // ---- Fleetward client against an @tufjs/models repository ---------------------------------------------------

    private string BuildTufJsRepository(string mode)
    {
        var outDir = Path.Combine(_dir, "tufjs-repo-" + mode);
        var result = _tufJs.Node("build-repo.js", outDir, mode);
        Assert.True(result.Code == 0, result.Error);
        return outDir;
    }

    private async Task<(TufTarget Target, string File)> FleetwardDownload(string repositoryDir, string targetName)
    {
        using var server = new LoopbackStaticServer(path =>
        {
            var file = Path.GetFullPath(Path.Combine(repositoryDir, path));
            return file.StartsWith(repositoryDir, StringComparison.Ordinal) && File.Exists(file) ? File.ReadAllBytes(file) : null;
        });
        var store = new TufMetadataDirectory(Path.Combine(_dir, "fleetward-metadata"));
        TufUpdater.Initialize(store, File.ReadAllBytes(Path.Combine(repositoryDir, "metadata", "root.json")), DateTimeOffset.UtcNow);
        using var http = new HttpClient();
        var updater = new TufUpdater(store, new HttpTufRepositoryFetcher(http, new Uri(server.BaseUrl, "metadata/"), new Uri(server.BaseUrl, "targets/")), TimeProvider.System);
        await updater.RefreshAsync();
        var target = await updater.FindTargetAsync(targetName);
        return (target, await updater.DownloadTargetAsync(target, Path.Combine(_dir, "fleetward-targets")));
    }

    [Fact]
    public async Task Fleetward_verifies_a_repository_built_and_signed_by_tufjs_models()
    {
        var repositoryDir = BuildTufJsRepository("valid");
        var (target, file) = await FleetwardDownload(repositoryDir, "app.bin");
        Assert.Equal("firmware built by @tufjs/models\n", await File.ReadAllTextAsync(file));
        Assert.Equal(3, target.SecurityVersion);
    }

    [Fact]
    public async Task Fleetward_verifies_rsassa_pss_targets_signed_by_node()
    {
        var repositoryDir = BuildTufJsRepository("rsa");
        var (target, _) = await FleetwardDownload(repositoryDir, "app.bin");
        Assert.Equal(3, target.SecurityVersion);
        var root = SignedMetadata<RootMetadata>.Parse(await File.ReadAllBytesAsync(Path.Combine(repositoryDir, "metadata", "root.json"))).Signed;
        Assert.Equal("rsassa-pss-sha256", root.Keys[root.RoleKeys(TufRoles.Targets).KeyIds[0]].Scheme);
    }

    [Fact]
    public async Task Fleetward_follows_a_tufjs_models_delegation()
    {
        var repositoryDir = BuildTufJsRepository("delegated");
        var (target, file) = await FleetwardDownload(repositoryDir, "security/patch.bin");
        Assert.Equal("security", target.Role);
        Assert.Equal(5, target.SecurityVersion);
        Assert.Equal("security patch built by @tufjs/models\n", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Fleetward_refuses_a_tampered_target_in_a_tufjs_models_repository()
    {
        var repositoryDir = BuildTufJsRepository("valid");
        foreach (var file in Directory.GetFiles(Path.Combine(repositoryDir, "targets")))
            await File.WriteAllTextAsync(file, "firmware built by Mallory\n");
        var e = await Assert.ThrowsAsync<TufTrustException>(() => FleetwardDownload(repositoryDir, "app.bin"));
        Assert.Equal(TufTrustFailure.LengthOrHashMismatch, e.Reason);
    }

    [Fact]
    public async Task Fleetward_refuses_expired_tufjs_models_metadata()
    {
        var repositoryDir = BuildTufJsRepository("expired");
        var e = await Assert.ThrowsAsync<TufTrustException>(() => FleetwardDownload(repositoryDir, "app.bin"));
        Assert.Equal(TufTrustFailure.Expired, e.Reason);
        Assert.Equal(TufRoles.Timestamp, e.Role);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
