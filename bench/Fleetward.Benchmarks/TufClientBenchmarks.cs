using BenchmarkDotNet.Attributes;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Benchmarks;

/// <summary>
/// What a device pays for one update check: a full TUF refresh from only a trusted root (root, timestamp, snapshot,
/// targets, each verified and persisted atomically) plus one verified 1 MiB target, beside the same trust decisions
/// without I/O, against the bare cost of one Ed25519 signature verification as baseline.
/// </summary>
[MemoryDiagnoser]
public class TufClientBenchmarks
{
    private const string TargetPath = "fw/robot.img";
    private readonly byte[] _target = new byte[1024 * 1024];
    private InMemoryMirror _mirror = null!;
    private byte[] _root = null!;
    private byte[] _timestamp = null!;
    private byte[] _snapshot = null!;
    private byte[] _targets = null!;
    private TufKey _timestampKey = null!;
    private byte[] _timestampSigned = null!;
    private byte[] _timestampSignature = null!;
    private string _workDirectory = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_target);
        _now = DateTimeOffset.UtcNow;
        var signers = new Dictionary<string, TufRoleSigners>
        {
            [TufRoles.Root] = new([EcdsaTufSigner.Generate()], 1),
            [TufRoles.Targets] = new([EcdsaTufSigner.Generate()], 1),
            [TufRoles.Snapshot] = new([Ed25519TufSigner.Generate()], 1),
            [TufRoles.Timestamp] = new([Ed25519TufSigner.Generate()], 1),
        };
        var builder = TufRepositoryBuilder.Initialize(signers, _now);
        var info = TargetFileInfo.FromContent(_target, TargetSecurityVersion.Custom(1));
        builder.AddTarget(TargetPath, info);
        builder.Publish(_now);
        _mirror = new InMemoryMirror(builder.MetadataFiles, info.RepositoryPaths(TargetPath, true).ToDictionary(p => p, _ => _target));
        _root = builder.Root.ToBytes();
        _timestamp = builder.Timestamp!.ToBytes();
        _snapshot = builder.Snapshot!.ToBytes();
        _targets = builder.TargetsRoles[TufRoles.Targets].ToBytes();
        _timestampKey = signers[TufRoles.Timestamp].Signers[0].PublicKey;
        _timestampSigned = builder.Timestamp.CanonicalSigned.ToArray();
        _timestampSignature = Convert.FromHexString(builder.Timestamp.Signatures[0].SignatureHex);
        _workDirectory = Path.Combine(Path.GetTempPath(), "fleetward-bench-tuf-" + Guid.NewGuid().ToString("N"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_workDirectory)) Directory.Delete(_workDirectory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public bool BareEd25519SignatureVerification() => TufSignatureVerifier.Verify(_timestampKey, _timestampSigned, _timestampSignature);

    [Benchmark]
    public void TrustedMetadataSetRefreshAndTargetCheck()
    {
        var trusted = new TrustedMetadataSet(_root, _now);
        trusted.UpdateTimestamp(_timestamp);
        trusted.UpdateSnapshot(_snapshot);
        var targets = trusted.UpdateTargets(_targets);
        var info = targets.Signed.Targets[TargetPath];
        TargetContentVerifier.Verify(TargetPath, _target, info.Length, info.Hashes);
    }

    [Benchmark]
    public async Task<string> FullRefreshAndTargetDownload()
    {
        var store = new TufMetadataDirectory(Path.Combine(_workDirectory, "metadata"));
        TufUpdater.Initialize(store, _root, _now);
        var updater = new TufUpdater(store, _mirror, TimeProvider.System);
        await updater.RefreshAsync();
        var target = await updater.FindTargetAsync(TargetPath);
        return await updater.DownloadTargetAsync(target, Path.Combine(_workDirectory, "targets"));
    }

    private sealed class InMemoryMirror(IReadOnlyDictionary<string, byte[]> metadata, IReadOnlyDictionary<string, byte[]> targets) : ITufRepositoryFetcher
    {
        public Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken) =>
            Task.FromResult<Stream?>(metadata.TryGetValue(fileName, out var bytes) ? new MemoryStream(bytes, writable: false) : null);

        public Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken) =>
            Task.FromResult<Stream?>(targets.TryGetValue(repositoryPath, out var bytes) ? new MemoryStream(bytes, writable: false) : null);
    }
}
