namespace Fleetward.Trust.Tuf;

/// <summary>
/// Every trust decision of the TUF client workflow (spec 5.2-5.6), apart from all I/O. Metadata is loaded strictly in
/// the order root → timestamp → snapshot → targets → delegated targets; each file is accepted only if the already
/// trusted metadata vouches for it. A verified file is stored before its expiry is checked, so an expired local copy
/// still serves as the floor that refuses rollbacks, while the expiry failure is still reported.
/// </summary>
/// <remarks>One instance serves one update: the reference time is fixed when it is created (spec 5.1).</remarks>
public sealed class TrustedMetadataSet
{
    private readonly Dictionary<string, SignedMetadata<TargetsMetadata>> _targets = new(StringComparer.Ordinal);
    private readonly RootMetadata _initialRoot;

    /// <summary>Spec 5.2: loads the trusted root the device already holds; it must be signed by its own threshold.</summary>
    public TrustedMetadataSet(ReadOnlySpan<byte> trustedRoot, DateTimeOffset now)
    {
        Now = now;
        var root = Parse<RootMetadata>(trustedRoot, TufRoles.Root);
        RequireThreshold(root, root.Signed.RoleKeys(TufRoles.Root), root.Signed.Keys, TufRoles.Root);
        Root = root;
        _initialRoot = root.Signed;
    }

    /// <summary>The fixed update start time all expiry checks use (spec 5.1).</summary>
    public DateTimeOffset Now { get; }

    public SignedMetadata<RootMetadata> Root { get; private set; }
    public SignedMetadata<TimestampMetadata>? Timestamp { get; private set; }
    public SignedMetadata<SnapshotMetadata>? Snapshot { get; private set; }
    public SignedMetadata<TargetsMetadata>? Targets => GetTargets(TufRoles.Targets);

    /// <summary>The trusted targets or delegated targets metadata of <paramref name="role"/>, if loaded.</summary>
    public SignedMetadata<TargetsMetadata>? GetTargets(string role) => _targets.GetValueOrDefault(role);

    /// <summary>
    /// Spec 5.3.11: true when root rotation since this update began changed the timestamp or snapshot keys; the caller
    /// then deletes its cached timestamp and snapshot so a fast-forwarded version from a compromised key cannot block
    /// recovery.
    /// </summary>
    public bool TimestampOrSnapshotKeysRotated =>
        !SameKeys(_initialRoot, Root.Signed, TufRoles.Timestamp) || !SameKeys(_initialRoot, Root.Signed, TufRoles.Snapshot);

    /// <summary>
    /// Spec 5.3.4-5.3.8: accepts the next root version. It must be signed by a threshold of the currently trusted root
    /// and by a threshold of itself, and be exactly one version newer. Expiry is not checked here: an intermediate root
    /// may have expired; the final root is checked when the timestamp is loaded (5.3.10).
    /// </summary>
    public SignedMetadata<RootMetadata> UpdateRoot(ReadOnlySpan<byte> data)
    {
        if (Timestamp is not null)
            throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Root, "root cannot change after timestamp was loaded");
        var next = Parse<RootMetadata>(data, TufRoles.Root);
        // 5.3.4: signed by a threshold of keys from the trusted root, and by a threshold of keys from the new root.
        RequireThreshold(next, Root.Signed.RoleKeys(TufRoles.Root), Root.Signed.Keys, TufRoles.Root, " of the trusted root");
        RequireThreshold(next, next.Signed.RoleKeys(TufRoles.Root), next.Signed.Keys, TufRoles.Root, " of the new root");
        // 5.3.5: version N+1 exactly, which also refuses rollback.
        if (next.Signed.Version != Root.Signed.Version + 1)
            throw new TufTrustException(TufTrustFailure.VersionMismatch, TufRoles.Root,
                $"version {next.Signed.Version}, expected {Root.Signed.Version + 1}");
        Root = next; // 5.3.8
        return next;
    }

    /// <summary>
    /// Spec 5.3.10 then 5.4: the final root must not be expired; the timestamp must be signed by the root's timestamp
    /// threshold, must not roll back its own version or the snapshot version it names, and must not be expired.
    /// An equal version keeps the copy already trusted.
    /// </summary>
    public SignedMetadata<TimestampMetadata> UpdateTimestamp(ReadOnlySpan<byte> data)
    {
        if (Snapshot is not null)
            throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Timestamp, "timestamp cannot change after snapshot was loaded");
        // 5.3.10: a freeze attack on root is detected once the rotation loop has finished.
        if (Root.Signed.IsExpired(Now))
            throw new TufTrustException(TufTrustFailure.Expired, TufRoles.Root, $"expired at {Root.Signed.Expires:O}");
        var next = Parse<TimestampMetadata>(data, TufRoles.Timestamp);
        RequireThreshold(next, Root.Signed.RoleKeys(TufRoles.Timestamp), Root.Signed.Keys, TufRoles.Timestamp); // 5.4.2
        if (Timestamp is { } trusted)
        {
            // 5.4.3.1: the timestamp version must not go backwards.
            if (next.Signed.Version < trusted.Signed.Version)
                throw new TufTrustException(TufTrustFailure.Rollback, TufRoles.Timestamp,
                    $"version {next.Signed.Version} is older than trusted {trusted.Signed.Version}");
            // 5.4.3.2: nor may the snapshot version it names.
            if (next.Signed.SnapshotMeta.Version < trusted.Signed.SnapshotMeta.Version)
                throw new TufTrustException(TufTrustFailure.Rollback, TufRoles.Timestamp,
                    $"names snapshot version {next.Signed.SnapshotMeta.Version}, older than trusted {trusted.Signed.SnapshotMeta.Version}");
            if (next.Signed.Version == trusted.Signed.Version) next = trusted;
        }
        Timestamp = next;
        CheckNotExpired(next.Signed, TufRoles.Timestamp); // 5.4.4, after storing
        return next;
    }

    /// <summary>
    /// Spec 5.5: the snapshot must match the length and hashes the timestamp names (unless it is the device's own cached
    /// copy, which the timestamp may already have superseded), be signed by the root's snapshot threshold, and keep every
    /// targets role it previously listed at no lower version. It is stored, then checked for expiry and for being the
    /// exact version the timestamp names.
    /// </summary>
    public SignedMetadata<SnapshotMetadata> UpdateSnapshot(ReadOnlySpan<byte> data, bool fromLocalCache = false)
    {
        var timestamp = Timestamp ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Snapshot, "timestamp must be loaded first");
        if (_targets.Count > 0)
            throw new TufTrustException(TufTrustFailure.WorkflowViolation, TufRoles.Snapshot, "snapshot cannot change after targets were loaded");
        CheckNotExpired(timestamp.Signed, TufRoles.Timestamp);
        var meta = timestamp.Signed.SnapshotMeta;
        if (!fromLocalCache) TargetContentVerifier.Verify(TufRoles.Snapshot, data, meta.Length, meta.Hashes); // 5.5.2
        var next = Parse<SnapshotMetadata>(data, TufRoles.Snapshot);
        RequireThreshold(next, Root.Signed.RoleKeys(TufRoles.Snapshot), Root.Signed.Keys, TufRoles.Snapshot); // 5.5.3
        if (Snapshot is { } trusted)
        {
            // 5.5.5: no targets role may disappear or go back in version.
            foreach (var (file, old) in trusted.Signed.Meta)
            {
                if (!next.Signed.Meta.TryGetValue(file, out var current))
                    throw new TufTrustException(TufTrustFailure.Rollback, TufRoles.Snapshot, $"no longer lists {file}");
                if (current.Version < old.Version)
                    throw new TufTrustException(TufTrustFailure.Rollback, TufRoles.Snapshot,
                        $"lists {file} at version {current.Version}, older than trusted {old.Version}");
            }
        }
        Snapshot = next;
        CheckFinalSnapshot();
        return next;
    }

    /// <summary>Spec 5.6 for the top-level targets role, delegated by root.</summary>
    public SignedMetadata<TargetsMetadata> UpdateTargets(ReadOnlySpan<byte> data, bool fromLocalCache = false) =>
        UpdateDelegatedTargets(data, TufRoles.Targets, TufRoles.Root, fromLocalCache);

    /// <summary>
    /// Spec 5.6 (and 5.6.7 for delegations): the role must be listed in snapshot, match its length and hashes when
    /// given, be signed by the threshold its delegator assigns, be the exact version snapshot names, and not be expired.
    /// </summary>
    public SignedMetadata<TargetsMetadata> UpdateDelegatedTargets(ReadOnlySpan<byte> data, string role, string delegator, bool fromLocalCache = false)
    {
        if (Snapshot is null) throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, "snapshot must be loaded first");
        CheckFinalSnapshot();
        var meta = Snapshot.Signed.ForRole(role)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, "is not listed in snapshot"); // 5.6.1
        if (!fromLocalCache) TargetContentVerifier.Verify(role, data, meta.Length, meta.Hashes); // 5.6.2
        var next = Parse<TargetsMetadata>(data, role);
        var (roleKeys, keys) = DelegatedKeys(role, delegator);
        RequireThreshold(next, roleKeys, keys, role); // 5.6.3
        if (next.Signed.Version != meta.Version) // 5.6.4
            throw new TufTrustException(TufTrustFailure.VersionMismatch, role, $"version {next.Signed.Version}, snapshot names {meta.Version}");
        CheckNotExpired(next.Signed, role); // 5.6.5
        _targets[role] = next;
        return next;
    }

    private (TufRoleKeys RoleKeys, IReadOnlyDictionary<string, Fleetward.Trust.Crypto.TufKey> Keys) DelegatedKeys(string role, string delegator)
    {
        if (delegator == TufRoles.Root)
        {
            if (role != TufRoles.Targets)
                throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, "root only delegates the top-level targets role");
            return (Root.Signed.RoleKeys(TufRoles.Targets), Root.Signed.Keys);
        }
        var parent = GetTargets(delegator)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, $"delegator {delegator} must be loaded first");
        var delegations = parent.Signed.Delegations;
        var delegated = delegations?.Roles.FirstOrDefault(r => r.Name == role)
            ?? throw new TufTrustException(TufTrustFailure.WorkflowViolation, role, $"is not delegated by {delegator}");
        return (delegated.Keys, delegations!.Keys);
    }

    private void CheckFinalSnapshot()
    {
        var snapshot = Snapshot!.Signed;
        CheckNotExpired(snapshot, TufRoles.Snapshot); // 5.5.6
        var expected = Timestamp!.Signed.SnapshotMeta.Version;
        if (snapshot.Version != expected) // 5.5.4
            throw new TufTrustException(TufTrustFailure.VersionMismatch, TufRoles.Snapshot, $"version {snapshot.Version}, timestamp names {expected}");
    }

    private void CheckNotExpired(TufRoleMetadata metadata, string role)
    {
        if (metadata.IsExpired(Now)) throw new TufTrustException(TufTrustFailure.Expired, role, $"expired at {metadata.Expires:O}");
    }

    private static bool SameKeys(RootMetadata a, RootMetadata b, string role) =>
        a.RoleKeyIds(role).SetEquals(b.RoleKeyIds(role));

    private static SignedMetadata<T> Parse<T>(ReadOnlySpan<byte> data, string role) where T : TufRoleMetadata, ITufRoleParser<T>
    {
        try
        {
            return SignedMetadata<T>.Parse(data);
        }
        catch (TufMetadataFormatException e)
        {
            throw new TufTrustException(TufTrustFailure.Malformed, role, e.Message, e);
        }
    }

    private static void RequireThreshold<T>(SignedMetadata<T> metadata, TufRoleKeys roleKeys,
        IReadOnlyDictionary<string, Fleetward.Trust.Crypto.TufKey> keys, string role, string whose = "") where T : TufRoleMetadata, ITufRoleParser<T>
    {
        var result = metadata.VerifyThreshold(roleKeys, keys);
        if (!result.IsMet)
            throw new TufTrustException(TufTrustFailure.ThresholdNotMet, role,
                $"{result.ValidKeyIds.Count} valid signature(s) of {result.Threshold} required{whose}");
    }
}
