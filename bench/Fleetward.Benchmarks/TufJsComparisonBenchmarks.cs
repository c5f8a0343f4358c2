using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Tuf;

namespace Fleetward.Benchmarks;

/// <summary>
/// Fleetward's client beside the independent tuf-js 5.0.1 client on the same repository served over HTTP on 127.0.0.1:
/// a full refresh from a trusted root plus one verified 1 MiB target each. tuf-js runs as a Node process, so Node's
/// start-up alone is measured too. Needs <c>npm ci</c> in tests/interop/tuf-js.
/// </summary>
public class TufJsComparisonBenchmarks
{
    private TufBenchmarkRepository _repository = null!;
    private IDisposable _server = null!;
    private Uri _baseUrl = null!;
    private HttpClient _http = null!;
    private string _interopFolder = null!;
    private string _workDirectory = null!;
    private byte[] _root = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repository = new TufBenchmarkRepository();
        _root = _repository.Builder.Root.ToBytes();
        _server = _repository.Serve(out _baseUrl);
        _http = new HttpClient();
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "tests", "interop", "tuf-js", "node_modules", "tuf-js")))
            directory = directory.Parent;
        _interopFolder = directory is null
            ? throw new InvalidOperationException("run `npm ci` in tests/interop/tuf-js first")
            : Path.Combine(directory.FullName, "tests", "interop", "tuf-js");
        _workDirectory = Path.Combine(Path.GetTempPath(), "fleetward-bench-tufjs-" + Guid.NewGuid().ToString("N"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Dispose();
        _http.Dispose();
        if (Directory.Exists(_workDirectory)) Directory.Delete(_workDirectory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public async Task<string> FleetwardClientOverHttp()
    {
        var store = new TufMetadataDirectory(Path.Combine(_workDirectory, "fleetward-metadata"));
        TufUpdater.Initialize(store, _root, _repository.Now);
        var fetcher = new HttpTufRepositoryFetcher(_http, new Uri(_baseUrl, "metadata/"), new Uri(_baseUrl, "targets/"));
        var updater = new TufUpdater(store, fetcher, TimeProvider.System);
        await updater.RefreshAsync();
        var target = await updater.FindTargetAsync(TufBenchmarkRepository.TargetPath);
        return await updater.DownloadTargetAsync(target, Path.Combine(_workDirectory, "fleetward-targets"));
    }

    [Benchmark]
    public int TufJsClientProcess()
    {
        var metadataDir = Path.Combine(_workDirectory, "tufjs-metadata");
        if (Directory.Exists(metadataDir)) Directory.Delete(metadataDir, recursive: true);
        Directory.CreateDirectory(metadataDir);
        File.WriteAllBytes(Path.Combine(metadataDir, "root.json"), _root);
        var code = RunNode("client.js", metadataDir, new Uri(_baseUrl, "metadata").AbsoluteUri, new Uri(_baseUrl, "targets/").AbsoluteUri,
            Path.Combine(_workDirectory, "tufjs-targets"), TufBenchmarkRepository.TargetPath);
        return code == 0 ? code : throw new InvalidOperationException("tuf-js refused the repository");
    }

    [Benchmark]
    public int NodeStartupOnly() => RunNode("-e", "0");

    private int RunNode(params string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = _interopFolder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
