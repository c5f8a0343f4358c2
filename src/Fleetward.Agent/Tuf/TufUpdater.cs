using Fleetward.Core.Releases;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tuf;

/// <summary>A target the repository vouches for, and the targets role that vouched for it.</summary>
public sealed record TufTarget(string Path, TargetFileInfo Info, string Role)
{
    public long SecurityVersion => TargetSecurityVersion.Read(Info, Path);
}

/// <summary>
/// The device's TUF client (spec section 5). It only moves bytes: it fetches with length limits and timeouts, hands
/// every file to <see cref="TrustedMetadataSet"/> for the trust decision, and persists what that accepted. On top of TUF
/// it enforces the device's own security-version floor.
/// </summary>
/// <remarks>One updater per metadata directory, used by one caller at a time: it holds the state of the current update.</remarks>
public sealed class TufUpdater
{
    private readonly TufMetadataDirectory _store;
    private readonly ITufRepositoryFetcher _fetcher;
    private readonly TimeProvider _time;
    private readonly TufUpdaterOptions _options;
    private TrustedMetadataSet? _trusted;

    public TufUpdater(TufMetadataDirectory store, ITufRepositoryFetcher fetcher, TimeProvider time, TufUpdaterOptions? options = null)
    {
        _store = store;
        _fetcher = fetcher;
        _time = time;
        _options = options ?? new TufUpdaterOptions();
    }

    /// <summary>Provisions the trusted root the device starts from (spec 5.2); it must be signed by its own threshold.</summary>
    public static void Initialize(TufMetadataDirectory store, ReadOnlySpan<byte> rootFile, DateTimeOffset now)
    {
        _ = new TrustedMetadataSet(rootFile, now);
        store.Write(TufRoles.Root, rootFile);
        foreach (var role in new[] { TufRoles.Timestamp, TufRoles.Snapshot, TufRoles.Targets }) store.Delete(role);
    }

    /// <summary>The trust state of the last successful <see cref="RefreshAsync"/>.</summary>
    public TrustedMetadataSet Trusted => _trusted ?? throw new InvalidOperationException("call RefreshAsync first");

    /// <summary>
    /// Spec 5.3-5.6: updates root (rotation loop), timestamp, snapshot and top-level targets. Throws
    /// <see cref="TufTrustException"/> naming the rule and role when anything is refused.
    /// </summary>
    public async Task<TrustedMetadataSet> RefreshAsync(CancellationToken cancellationToken = default)
    {
        _trusted = null;
        var rootBytes = _store.Read(TufRoles.Root)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Root, $"no trusted root in {_store.Path}; run init first");
        // 5.1: one reference time for the whole update.
        var trusted = new TrustedMetadataSet(rootBytes, _time.GetUtcNow());
        await UpdateRootAsync(trusted, cancellationToken).ConfigureAwait(false);
        await UpdateTimestampAsync(trusted, cancellationToken).ConfigureAwait(false);
        await UpdateSnapshotAsync(trusted, cancellationToken).ConfigureAwait(false);
        await LoadTargetsAsync(trusted, TufRoles.Targets, TufRoles.Root, cancellationToken).ConfigureAwait(false);
        _trusted = trusted;
        return trusted;
    }

    /// <summary>
    /// Spec 5.6.7: searches the delegation tree pre-order for <paramref name="targetPath"/>, honouring path patterns and
    /// terminating delegations, visiting at most <see cref="TufUpdaterOptions.MaxDelegations"/> roles.
    /// </summary>
    public async Task<TufTarget> FindTargetAsync(string targetPath, CancellationToken cancellationToken = default)
    {
        var trusted = Trusted;
        var toVisit = new Stack<(string Role, string Delegator, SigningKeyClass Chain)>();
        toVisit.Push((TufRoles.Targets, TufRoles.Root,
            SigningKeyMarker.RoleClass(trusted.Root.Signed.RoleKeys(TufRoles.Targets), trusted.Root.Signed.Keys)));
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (toVisit.Count > 0 && visited.Count < _options.MaxDelegations)
        {
            var (role, delegator, chain) = toVisit.Pop();
            if (!visited.Add(role)) continue; // 5.6.7.1: skip roles already visited (cycles)
            var targets = await LoadTargetsAsync(trusted, role, delegator, cancellationToken).ConfigureAwait(false);
            if (targets.Signed.Targets.TryGetValue(targetPath, out var info))
            {
                if (_options.ProductionDevice && chain != SigningKeyClass.Production)
                    throw new TufTrustException(TufTrustFailure.NonProductionKey, role,
                        $"{targetPath} is vouched for by {ReleaseSigningPolicy.Name(chain)} keys; a production device installs only production-signed targets");
                return new TufTarget(targetPath, info, role);
            }
            if (targets.Signed.Delegations is null) continue;
            var children = new List<(string, string, SigningKeyClass)>();
            foreach (var child in targets.Signed.Delegations.Roles)
            {
                if (!child.IsDelegatedPath(targetPath)) continue; // 5.6.7.2
                var childClass = SigningKeyMarker.RoleClass(child.Keys, targets.Signed.Delegations.Keys);
                children.Add((child.Name, role, childClass > chain ? childClass : chain));
                if (child.Terminating)
                {
                    toVisit.Clear(); // 5.6.7.2.1: a terminating delegation ends the search below other branches
                    break;
                }
            }
            for (var i = children.Count - 1; i >= 0; i--) toVisit.Push(children[i]);
        }
        var why = toVisit.Count > 0 ? $" within {_options.MaxDelegations} delegated roles" : "";
        throw new TufTrustException(TufTrustFailure.TargetNotFound, targetPath, $"no trusted targets role lists this target{why}");
    }

    /// <summary>
    /// Finds the target of a release: rollout instructions name a release id, TUF names files. Paths under
    /// <paramref name="pathPrefix"/> whose custom <c>release_id</c> is <paramref name="releaseId"/> are discovered in the
    /// roles reachable from top-level targets (at most <see cref="TufUpdaterOptions.MaxDelegations"/>); the trust decision is
    /// then the spec 5.6.7 search for that path (<see cref="FindTargetAsync"/>), whose answer must name the same release.
    /// </summary>
    public async Task<TufTarget> FindReleaseTargetAsync(string releaseId, string pathPrefix, CancellationToken cancellationToken = default)
    {
        var trusted = Trusted;
        var toVisit = new Queue<(string Role, string Delegator)>();
        toVisit.Enqueue((TufRoles.Targets, TufRoles.Root));
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (toVisit.Count > 0 && visited.Count < _options.MaxDelegations)
        {
            var (role, delegator) = toVisit.Dequeue();
            if (!visited.Add(role)) continue;
            var targets = await LoadTargetsAsync(trusted, role, delegator, cancellationToken).ConfigureAwait(false);
            foreach (var (path, info) in targets.Signed.Targets)
            {
                if (!path.StartsWith(pathPrefix, StringComparison.Ordinal) || ReleaseIdOf(info) != releaseId) continue;
                var found = await FindTargetAsync(path, cancellationToken).ConfigureAwait(false);
                if (ReleaseIdOf(found.Info) == releaseId) return found;
            }
            foreach (var child in targets.Signed.Delegations?.Roles ?? []) toVisit.Enqueue((child.Name, role));
        }
        throw new TufTrustException(TufTrustFailure.TargetNotFound, pathPrefix, $"no trusted targets role lists release {releaseId}");
    }

    private static string? ReleaseIdOf(TargetFileInfo info) =>
        info.Custom?["release_id"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var id) ? id : null;

    /// <summary>
    /// Spec 5.7: downloads a found target into <paramref name="destinationDirectory"/>, streaming it through the length and
    /// hash check, and refuses it first if its security version is below the installed one. Returns the file path; the
    /// file appears only after it verified.
    /// </summary>
    public async Task<string> DownloadTargetAsync(TufTarget target, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        try
        {
            TargetSecurityVersion.EnsureNotBelowInstalled(target.Info, target.Path, _store.InstalledSecurityVersion);
        }
        catch (TufMetadataFormatException e)
        {
            throw new TufTrustException(TufTrustFailure.Malformed, target.Role, e.Message, e);
        }
        if (target.Info.Length > _options.TargetMaxLength)
            throw new TufTrustException(TufTrustFailure.DownloadLimitExceeded, target.Path,
                $"is {target.Info.Length} bytes, the device accepts at most {_options.TargetMaxLength}");
        var repositoryPath = PreferredRepositoryPath(target);
        Directory.CreateDirectory(destinationDirectory);
        // One flat file name per target path: "/" is escaped, and names that mean a directory are refused.
        var fileName = Uri.EscapeDataString(target.Path);
        if (fileName is "" or "." or "..")
            throw new TufTrustException(TufTrustFailure.Malformed, target.Role, $"target path \"{target.Path}\" cannot name a file");
        var destination = Path.Combine(Path.GetFullPath(destinationDirectory), fileName);
        var temp = destination + ".part-" + Guid.NewGuid().ToString("N");
        try
        {
            using var timeout = new CancellationTokenSource(_options.TargetTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await using var source = await _fetcher.OpenTargetAsync(repositoryPath, linked.Token).ConfigureAwait(false)
                    ?? throw new TufTrustException(TufTrustFailure.TargetNotFound, target.Path, $"the repository has no {repositoryPath}");
                using var verifier = new TargetContentVerifier(target.Path, target.Info.Length, target.Info.Hashes);
                await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await source.ReadAsync(buffer, linked.Token).ConfigureAwait(false)) > 0)
                    {
                        verifier.Append(buffer.AsSpan(0, read)); // refuses endless data before writing it
                        await output.WriteAsync(buffer.AsMemory(0, read), linked.Token).ConfigureAwait(false);
                    }
                    verifier.Complete();
                    output.Flush(flushToDisk: true);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TufTrustException(TufTrustFailure.DownloadLimitExceeded, target.Path, $"not complete within {_options.TargetTimeout}");
            }
            File.Move(temp, destination, overwrite: true);
            return destination;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Records that <paramref name="target"/> is installed: the security-version floor rises to its version, never falls.</summary>
    public void RecordInstalled(TufTarget target) => _store.RaiseInstalledSecurityVersion(target.SecurityVersion);

    private async Task UpdateRootAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        // 5.3.2-5.3.9: fetch N+1.root.json until there is none, at most MaxRootRotations times (5.3.3).
        var first = trusted.Root.Signed.Version + 1;
        for (var version = first; version < first + _options.MaxRootRotations; version++)
        {
            var data = await DownloadMetadataAsync(TufRoles.FileName(TufRoles.Root, version), TufRoles.Root, _options.RootMaxLength, cancellationToken).ConfigureAwait(false);
            if (data is null) break;
            trusted.UpdateRoot(data);
            _store.Write(TufRoles.Root, data); // 5.3.8: persist each root as soon as it is trusted
        }
        // 5.3.11: a rotated timestamp or snapshot key invalidates the cached copies (fast-forward recovery).
        if (trusted.TimestampOrSnapshotKeysRotated)
        {
            _store.Delete(TufRoles.Timestamp);
            _store.Delete(TufRoles.Snapshot);
        }
    }

    private async Task UpdateTimestampAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        LoadCached(TufRoles.Timestamp, data => trusted.UpdateTimestamp(data));
        // 5.4.1: timestamp.json is never versioned in the file name.
        var data = await DownloadMetadataAsync(TufRoles.FileName(TufRoles.Timestamp, null), TufRoles.Timestamp, _options.TimestampMaxLength, cancellationToken).ConfigureAwait(false)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Timestamp, "the repository has no timestamp.json");
        var before = trusted.Timestamp;
        var accepted = trusted.UpdateTimestamp(data);
        if (!ReferenceEquals(accepted, before)) _store.Write(TufRoles.Timestamp, data); // 5.4.5
    }

    private async Task UpdateSnapshotAsync(TrustedMetadataSet trusted, CancellationToken cancellationToken)
    {
        if (LoadCached(TufRoles.Snapshot, data => trusted.UpdateSnapshot(data, fromLocalCache: true))) return;
        var meta = trusted.Timestamp!.Signed.SnapshotMeta;
        var name = TufRoles.FileName(TufRoles.Snapshot, trusted.Root.Signed.ConsistentSnapshot ? meta.Version : null); // 5.5.1
        var data = await DownloadMetadataAsync(name, TufRoles.Snapshot, meta.Length ?? _options.SnapshotMaxLength, cancellationToken).ConfigureAwait(false)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Snapshot, $"the repository has no {name}");
        trusted.UpdateSnapshot(data);
        _store.Write(TufRoles.Snapshot, data); // 5.5.7
    }

    private async Task<SignedMetadata<TargetsMetadata>> LoadTargetsAsync(TrustedMetadataSet trusted, string role, string delegator, CancellationToken cancellationToken)
    {
        if (trusted.GetTargets(role) is { } loaded) return loaded;
        if (LoadCached(role, data => trusted.UpdateDelegatedTargets(data, role, delegator, fromLocalCache: true))) return trusted.GetTargets(role)!;
        var meta = trusted.Snapshot!.Signed.ForRole(role)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, "is not listed in snapshot");
        var name = TufRoles.FileName(role, trusted.Root.Signed.ConsistentSnapshot ? meta.Version : null); // 5.6.1
        var data = await DownloadMetadataAsync(name, role, meta.Length ?? _options.TargetsMaxLength, cancellationToken).ConfigureAwait(false)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, $"the repository has no {name}");
        var accepted = trusted.UpdateDelegatedTargets(data, role, delegator);
        _store.Write(role, data); // 5.6.6
        return accepted;
    }

    /// <summary>
    /// Offers the cached copy of a role to the trusted set. A refused cached copy is not an error: the remote one is
    /// fetched next, and a cached copy the set stored before refusing (expired, superseded) still guards against rollback.
    /// </summary>
    private bool LoadCached(string role, Action<byte[]> update)
    {
        var cached = _store.Read(role);
        if (cached is null) return false;
        try
        {
            update(cached);
            return true;
        }
        catch (TufTrustException)
        {
            return false;
        }
    }

    private async Task<byte[]?> DownloadMetadataAsync(string fileName, string role, long maxLength, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.MetadataTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await using var stream = await _fetcher.OpenMetadataAsync(fileName, linked.Token).ConfigureAwait(false);
            if (stream is null) return null;
            using var buffer = new MemoryStream();
            var chunk = new byte[16384];
            int read;
            while ((read = await stream.ReadAsync(chunk, linked.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxLength) // endless data: never read past the limit
                    throw new TufTrustException(TufTrustFailure.DownloadLimitExceeded, role, $"{fileName} is longer than {maxLength} bytes");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TufTrustException(TufTrustFailure.DownloadLimitExceeded, role, $"{fileName} not received within {_options.MetadataTimeout}");
        }
    }

    private string PreferredRepositoryPath(TufTarget target)
    {
        var paths = target.Info.RepositoryPaths(target.Path, Trusted.Root.Signed.ConsistentSnapshot);
        if (!Trusted.Root.Signed.ConsistentSnapshot || !target.Info.Hashes.TryGetValue("sha256", out var sha256)) return paths[0];
        return paths.First(p => p.Contains(sha256, StringComparison.Ordinal));
    }
}
