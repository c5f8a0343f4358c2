using Fleetward.Agent.Tuf;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Tuf;

/// <summary>
/// An in-memory TUF repository and mirror: a <see cref="TufRepositoryBuilder"/> with throw-away keys publishes into
/// dictionaries the fetcher serves, and tests play attacker by replacing served bytes or streams.
/// </summary>
internal sealed class SimulatedTufRepository : ITufRepositoryFetcher
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public SimulatedTufRepository(bool consistentSnapshot = true)
    {
        Signers = TufRoles.TopLevel.ToDictionary(r => r, _ => (ITufSigner)Ed25519TufSigner.Generate());
        Builder = TufRepositoryBuilder.Initialize(Signers.ToDictionary(p => p.Key, p => new TufRoleSigners([p.Value], 1)), Start,
            consistentSnapshot: consistentSnapshot);
        Sync();
    }

    public Dictionary<string, ITufSigner> Signers { get; }
    public TufRepositoryBuilder Builder { get; }
    public Dictionary<string, byte[]> Metadata { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, byte[]> Targets { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, answers instead of the stored bytes (endless or slow streams).</summary>
    public Func<string, Stream?>? MetadataOverride { get; set; }
    public Func<string, Stream?>? TargetOverride { get; set; }

    public List<string> Requests { get; } = [];

    public byte[] RootFile => Builder.RootHistory[0].ToBytes();

    /// <summary>Adds a target with content and an optional security version to a targets role, without publishing.</summary>
    public TargetFileInfo AddTarget(string path, byte[] content, long? securityVersion = null, string role = TufRoles.Targets)
    {
        var info = TargetFileInfo.FromContent(content, securityVersion is { } v ? TargetSecurityVersion.Custom(v) : null);
        Builder.AddTarget(path, info, role);
        foreach (var name in info.RepositoryPaths(path, Builder.Root.Signed.ConsistentSnapshot)) Targets[name] = content;
        return info;
    }

    public void Publish(DateTimeOffset? now = null)
    {
        Builder.Publish(now ?? Start);
        Sync();
    }

    /// <summary>Copies everything the builder has published to what the mirror serves.</summary>
    public void Sync()
    {
        foreach (var (name, bytes) in Builder.MetadataFiles) Metadata[name] = bytes;
    }

    public Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken)
    {
        Requests.Add(fileName);
        if (MetadataOverride?.Invoke(fileName) is { } stream) return Task.FromResult<Stream?>(stream);
        return Task.FromResult<Stream?>(Metadata.TryGetValue(fileName, out var bytes) ? new MemoryStream(bytes) : null);
    }

    public Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken)
    {
        Requests.Add("targets/" + repositoryPath);
        if (TargetOverride?.Invoke(repositoryPath) is { } stream) return Task.FromResult<Stream?>(stream);
        return Task.FromResult<Stream?>(Targets.TryGetValue(repositoryPath, out var bytes) ? new MemoryStream(bytes) : null);
    }
}

/// <summary>A clock the test sets; timers stay real so download timeouts still fire.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>One simulated device: its metadata directory, its download directory and its TUF client.</summary>
internal sealed class SimulatedDevice : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fleetward-tuf-" + Guid.NewGuid().ToString("N"));

    public SimulatedDevice(SimulatedTufRepository repository, TufUpdaterOptions? options = null, byte[]? rootFile = null)
    {
        Repository = repository;
        Clock = new ManualTimeProvider(SimulatedTufRepository.Start);
        Store = new TufMetadataDirectory(Path.Combine(_root, "metadata"));
        TufUpdater.Initialize(Store, rootFile ?? repository.RootFile, Clock.Now);
        Updater = new TufUpdater(Store, repository, Clock, options);
    }

    public SimulatedTufRepository Repository { get; }
    public ManualTimeProvider Clock { get; }
    public TufMetadataDirectory Store { get; }
    public TufUpdater Updater { get; set; }
    public string DownloadDirectory => Path.Combine(_root, "downloads");

    /// <summary>Refresh, find and download, as the agent does for one update.</summary>
    public async Task<byte[]> UpdateAsync(string targetPath)
    {
        await Updater.RefreshAsync();
        var target = await Updater.FindTargetAsync(targetPath);
        var file = await Updater.DownloadTargetAsync(target, DownloadDirectory);
        Updater.RecordInstalled(target);
        return await File.ReadAllBytesAsync(file);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
