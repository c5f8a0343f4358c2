using Fleetward.Core.Releases;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Ports;

/// <summary>
/// Published releases: what rollouts resolve by id or version, and what the TUF repository lists as targets.
/// A release is <see cref="ReleaseState.Pending"/> until a targets role listing it is signed.
/// </summary>
public interface IReleaseCatalog
{
    /// <summary>Returns false (nothing changed) when the id or the target path is already taken.</summary>
    Task<bool> InsertAsync(Release release, CancellationToken cancellationToken = default);

    Task<Release?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The release published under a version on a channel, if any.</summary>
    Task<Release?> FindByVersionAsync(string version, ReleaseChannel channel, CancellationToken cancellationToken = default);

    Task<Release?> FindByTargetPathAsync(string targetPath, CancellationToken cancellationToken = default);

    /// <summary>Releases, newest first, optionally one channel and one state.</summary>
    Task<IReadOnlyList<Release>> ListAsync(ReleaseChannel? channel = null, ReleaseState? state = null, CancellationToken cancellationToken = default);

    /// <summary>Marks pending releases of a targets role signed (the role version that lists them was accepted).</summary>
    Task<int> MarkSignedAsync(IReadOnlyCollection<string> ids, long targetsVersion, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records that a key signed a release (the signing policy counts these for quotas).</summary>
    Task RecordSignatureAsync(ReleaseSignature signature, CancellationToken cancellationToken = default);

    /// <summary>Signatures a key made at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<ReleaseSignature>> ListSignaturesByKeyAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReleaseSignature>> ListSignaturesAsync(string releaseId, CancellationToken cancellationToken = default);
}
