using Fleetward.Cli.Commands;
using Fleetward.Trust.Tuf;

namespace Fleetward.Integration.Tests.Tuf;

/// <summary>Drives <c>fleetward agent tuf</c> against a Fleetward repository served over HTTP on 127.0.0.1.</summary>
public sealed class AgentTufCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fleetward-agent-tuf-" + Guid.NewGuid().ToString("N"));
    private readonly FleetwardTestRepository _repo = new(DateTimeOffset.UtcNow);
    private readonly LoopbackStaticServer _server;

    public AgentTufCommandTests()
    {
        _server = new LoopbackStaticServer(path => _repo.Serve(path));
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(RootPath, _repo.RootFile);
    }

    private string RootPath => Path.Combine(_dir, "root.json");
    private string MetadataDir => Path.Combine(_dir, "metadata");
    private string TargetDir => Path.Combine(_dir, "targets");
    private string MetadataUrl => new Uri(_server.BaseUrl, "metadata/").AbsoluteUri;
    private string TargetUrl => new Uri(_server.BaseUrl, "targets/").AbsoluteUri;

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentTufCommand.Create().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Output, string Error)> Download(string name) =>
        Run("--metadata-dir", MetadataDir, "--metadata-url", MetadataUrl, "--target-name", name, "--target-base-url", TargetUrl, "--target-dir", TargetDir, "download");

    [Fact]
    public async Task Init_refresh_and_download_succeed_with_exit_code_0()
    {
        _repo.AddTarget("fw/robot.img", [1, 2, 3, 4], securityVersion: 2);
        _repo.Builder.Publish(DateTimeOffset.UtcNow);
        var init = await Run("--metadata-dir", MetadataDir, "init", RootPath);
        Assert.True(init.Code == 0, init.Error + init.Output);
        var refresh = await Run("--metadata-dir", MetadataDir, "--metadata-url", MetadataUrl, "refresh");
        Assert.True(refresh.Code == 0, refresh.Error);
        var download = await Download("fw/robot.img");
        Assert.True(download.Code == 0, download.Error);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(TargetDir, Uri.EscapeDataString("fw/robot.img"))));
    }

    [Fact]
    public async Task Tampered_target_exits_1()
    {
        var info = _repo.AddTarget("fw/robot.img", [1, 2, 3, 4], securityVersion: 1);
        _repo.Builder.Publish(DateTimeOffset.UtcNow);
        foreach (var name in info.RepositoryPaths("fw/robot.img", true)) _repo.Targets[name] = [6, 6, 6, 6];
        await Run("--metadata-dir", MetadataDir, "init", RootPath);
        var result = await Download("fw/robot.img");
        Assert.Equal(1, result.Code);
        Assert.True(result.Error.Contains(nameof(TufTrustFailure.LengthOrHashMismatch), StringComparison.Ordinal), result.Error);
        Assert.False(Directory.Exists(TargetDir) && Directory.EnumerateFiles(TargetDir).Any());
    }

    [Fact]
    public async Task Expired_timestamp_exits_1()
    {
        _repo.Builder.RefreshTimestamp(DateTimeOffset.UtcNow.AddDays(-2));
        await Run("--metadata-dir", MetadataDir, "init", RootPath);
        var result = await Run("--metadata-dir", MetadataDir, "--metadata-url", MetadataUrl, "refresh");
        Assert.Equal(1, result.Code);
        Assert.True(result.Error.Contains(nameof(TufTrustFailure.Expired), StringComparison.Ordinal), result.Error);
    }

    [Fact]
    public async Task Validly_signed_lower_security_version_exits_1_after_a_newer_install()
    {
        _repo.AddTarget("fw/robot.img", [2], securityVersion: 5);
        _repo.Builder.Publish(DateTimeOffset.UtcNow);
        await Run("--metadata-dir", MetadataDir, "init", RootPath);
        Assert.Equal(0, (await Download("fw/robot.img")).Code);
        _repo.AddTarget("fw/robot.img", [1], securityVersion: 4);
        _repo.Builder.Publish(DateTimeOffset.UtcNow);
        var result = await Download("fw/robot.img");
        Assert.Equal(1, result.Code);
        Assert.True(result.Error.Contains(nameof(TufTrustFailure.SecurityVersionRollback), StringComparison.Ordinal), result.Error);
    }

    [Fact]
    public async Task Init_with_a_root_not_signed_by_its_threshold_exits_1()
    {
        var forged = SignedMetadata<RootMetadata>.Create(_repo.Builder.Root.Signed, [Fleetward.Trust.Crypto.Ed25519TufSigner.Generate()]).ToBytes();
        await File.WriteAllBytesAsync(RootPath, forged);
        Assert.Equal(1, (await Run("--metadata-dir", MetadataDir, "init", RootPath)).Code);
    }

    [Fact]
    public async Task Refresh_without_metadata_url_exits_1()
    {
        await Run("--metadata-dir", MetadataDir, "init", RootPath);
        var result = await Run("--metadata-dir", MetadataDir, "refresh");
        Assert.Equal(1, result.Code);
        Assert.True(result.Error.Contains("--metadata-url", StringComparison.Ordinal), result.Error);
    }

    [Fact]
    public async Task Help_lists_the_subcommands_and_options()
    {
        // Help comes from the root command the CLI mounts "tuf" under.
        var root = new System.CommandLine.RootCommand { AgentTufCommand.Create() };
        var output = new StringWriter();
        var code = await root.Parse(["tuf", "--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = output });
        Assert.Equal(0, code);
        foreach (var word in new[] { "init", "refresh", "download", "--metadata-dir", "--metadata-url", "--target-name", "--target-base-url", "--target-dir" })
            Assert.Contains(word, output.ToString());
    }

    [Fact]
    public async Task Malformed_url_is_a_usage_error_with_exit_code_1()
    {
        var result = await Run("--metadata-dir", MetadataDir, "--metadata-url", "ftp://x", "refresh");
        Assert.Equal(1, result.Code);
        Assert.Contains("absolute http(s) URL", result.Error);
    }

    [Fact]
    public async Task Missing_metadata_dir_is_a_usage_error_with_exit_code_1() =>
        Assert.Equal(1, (await Run("init", RootPath)).Code);

    public void Dispose()
    {
        _server.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
