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
    private const string TargetPath = TufBenchmarkRepository.TargetPath;
    private TufBenchmarkRepository _repository = null!;
    private byte[] _root = null!;
    private byte[] _timestamp = null!;
    private byte[] _snapshot = null!;
    private byte[] _targets = null!;
    private TufKey _timestampKey = null!;
    private byte[] _timestampSigned = null!;
    private byte[] _timestampSignature = null!;
    private string _workDirectory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repository = new TufBenchmarkRepository();
        var builder = _repository.Builder;
        _root = builder.Root.ToBytes();
        _timestamp = builder.Timestamp!.ToBytes();
        _snapshot = builder.Snapshot!.ToBytes();
        _targets = builder.TargetsRoles[TufRoles.Targets].ToBytes();
        _timestampKey = _repository.Signers[TufRoles.Timestamp].Signers[0].PublicKey;
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
        var trusted = new TrustedMetadataSet(_root, _repository.Now);
        trusted.UpdateTimestamp(_timestamp);
        trusted.UpdateSnapshot(_snapshot);
        var targets = trusted.UpdateTargets(_targets);
        var info = targets.Signed.Targets[TargetPath];
        TargetContentVerifier.Verify(TargetPath, _repository.Target, info.Length, info.Hashes);
    }

    [Benchmark]
    public async Task<string> FullRefreshAndTargetDownload()
    {
        var store = new TufMetadataDirectory(Path.Combine(_workDirectory, "metadata"));
        TufUpdater.Initialize(store, _root, _repository.Now);
        var updater = new TufUpdater(store, _repository, TimeProvider.System);
        await updater.RefreshAsync();
        var target = await updater.FindTargetAsync(TargetPath);
        return await updater.DownloadTargetAsync(target, Path.Combine(_workDirectory, "targets"));
    }
}
