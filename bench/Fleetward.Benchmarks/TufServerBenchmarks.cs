using BenchmarkDotNet.Attributes;
using Fleetward.Agent.Tuf;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Updates;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Benchmarks;

/// <summary>
/// The same update check as <see cref="TufClientBenchmarks"/>, but against the real server: `fleetward init` in a
/// temporary data directory, a 1 MiB release published through the repository service, served over HTTPS on
/// 127.0.0.1. Fleetward's client does a full refresh (root, timestamp, snapshot, targets) plus one verified target
/// download. Beside it: the server's cost to re-sign and store a timestamp, and the bare Ed25519 verification baseline.
/// </summary>
[MemoryDiagnoser]
public class TufServerBenchmarks
{
    private const string TargetPath = "stable/1.0.0/fw.bin";
    private string _directory = null!;
    private ControlPlane _plane = null!;
    private AdvancingClock _clock = null!;
    private HttpClient _http = null!;
    private byte[] _root = null!;
    private TufKey _timestampKey = null!;
    private byte[] _timestampSigned = null!;
    private byte[] _timestampSignature = null!;
    private int _run;

    /// <summary>The server's clock; each re-signing benchmark call moves it 13 hours, past half the timestamp's lifetime.</summary>
    private sealed class AdvancingClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public void Advance() => _now = _now.AddHours(13);

        public override DateTimeOffset GetUtcNow() => _now;
    }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "fleetward-bench-tufsrv-" + Guid.NewGuid().ToString("N"));
        var data = new DataDirectory(Path.Combine(_directory, "data"));
        _clock = new AdvancingClock();
        var loopback = new Uri("https://127.0.0.1:0");
        await DataDirectoryInitializer.InitializeAsync(data, loopback, loopback, null, _clock, CancellationToken.None);
        _plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(), new FleetwardServerSetup { Time = _clock, ConfigureLogging = l => l.ClearProviders() }, CancellationToken.None);
        var repository = _plane.Server.Services.GetRequiredService<TufRepositoryService>();
        var firmware = new byte[1024 * 1024];
        Random.Shared.NextBytes(firmware);
        var artifact = await repository.Artifacts.PutAsync(new MemoryStream(firmware), firmware.Length, CancellationToken.None);
        await repository.PublishAsync(new PublishReleaseRequest(artifact.Sha256, "fw.bin", "1.0.0", 1, ["robot-a"]), "bench", CancellationToken.None);

        _root = await File.ReadAllBytesAsync(DevelopmentKeySet.RootFilePath(new UpdatesDirectory(data.Root)));
        var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(data.OperatorCaPath);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == trusted.GetCertHashString();
        _http = new HttpClient(handler);

        var timestamp = SignedMetadata<TimestampMetadata>.Parse((await repository.ReadMetadataAsync("timestamp.json", CancellationToken.None))!);
        var root = SignedMetadata<RootMetadata>.Parse(_root).Signed;
        _timestampKey = root.Keys[timestamp.Signatures[0].KeyId];
        _timestampSigned = timestamp.CanonicalSigned.ToArray();
        _timestampSignature = Convert.FromHexString(timestamp.Signatures[0].SignatureHex);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _plane.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _plane.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public bool BareEd25519SignatureVerification() => TufSignatureVerifier.Verify(_timestampKey, _timestampSigned, _timestampSignature);

    [Benchmark]
    public async Task<string> FullRefreshAndTargetDownloadFromServer()
    {
        var device = Path.Combine(_directory, "device-" + _run++);
        var store = new TufMetadataDirectory(Path.Combine(device, "metadata"));
        TufUpdater.Initialize(store, _root, DateTimeOffset.UtcNow);
        var updater = new TufUpdater(store, new HttpTufRepositoryFetcher(_http, new Uri(_plane.Server.DeviceAddress, "tuf/metadata/"),
            new Uri(_plane.Server.DeviceAddress, "tuf/targets/")), TimeProvider.System);
        await updater.RefreshAsync();
        var target = await updater.FindTargetAsync(TargetPath);
        var file = await updater.DownloadTargetAsync(target, Path.Combine(device, "targets"));
        Directory.Delete(device, recursive: true);
        return file;
    }

    /// <summary>
    /// 13 hours of server time: the timestamp is re-signed every call, the snapshot about every sixth, targets rarely;
    /// each includes storing the new versions and the audit event in one SQLite transaction.
    /// </summary>
    [Benchmark]
    public async Task<int> ServerResignsAndStoresDueMetadata()
    {
        _clock.Advance();
        return (await _plane.Server.Services.GetRequiredService<TufRepositoryService>().RefreshDueAsync(CancellationToken.None)).Count;
    }
}
