using System.Security.Cryptography;
using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tuf;

/// <summary>How long each role's metadata stays valid after it is signed; short-lived online roles make freezes visible.</summary>
public sealed record TufExpiryPolicy(TimeSpan Root, TimeSpan Targets, TimeSpan Snapshot, TimeSpan Timestamp)
{
    public static TufExpiryPolicy Default { get; } = new(TimeSpan.FromDays(365), TimeSpan.FromDays(90), TimeSpan.FromDays(7), TimeSpan.FromDays(1));

    public TimeSpan For(string role) => role switch
    {
        TufRoles.Root => Root,
        TufRoles.Snapshot => Snapshot,
        TufRoles.Timestamp => Timestamp,
        _ => Targets,
    };
}

/// <summary>Signers for a role together with the threshold root should require of them.</summary>
public sealed record TufRoleSigners(IReadOnlyList<ITufSigner> Signers, int Threshold)
{
    public TufRoleAssignment Assignment => new(Signers.Select(s => s.PublicKey).ToList(), Threshold);
}

/// <summary>
/// The repository side of TUF as pure state: keeps the current signed metadata, applies edits to targets roles, and on
/// <see cref="Publish"/> bumps and re-signs exactly the roles that changed, then snapshot and timestamp, so the files it
/// emits always form one consistent repository state a client accepts. Root changes only through a root signed
/// elsewhere (offline keys) that the client workflow itself would accept.
/// </summary>
/// <remarks>No I/O and no clock: the server persists <see cref="MetadataFiles"/>, tests and the simulator serve them from memory.</remarks>
public sealed class TufRepositoryBuilder
{
    private readonly TufExpiryPolicy _expiry;
    private readonly Dictionary<string, IReadOnlyList<ITufSigner>> _signers = new(StringComparer.Ordinal);
    private readonly List<SignedMetadata<RootMetadata>> _roots = [];
    private readonly Dictionary<string, SignedMetadata<TargetsMetadata>> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TargetsMetadata> _drafts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    /// <summary>Starts a repository from a root already signed by its root keys; online roles get signers via <see cref="SetSigners"/>.</summary>
    public TufRepositoryBuilder(SignedMetadata<RootMetadata> root, TufExpiryPolicy? expiry = null)
    {
        var check = root.VerifyThreshold(root.Signed.RoleKeys(TufRoles.Root), root.Signed.Keys);
        if (!check.IsMet) throw new TufTrustException(TufTrustFailure.ThresholdNotMet, TufRoles.Root, "the initial root is not signed by its own threshold");
        _expiry = expiry ?? TufExpiryPolicy.Default;
        AddRootFile(root);
        _drafts[TufRoles.Targets] = new TargetsMetadata { Version = 1, Expires = root.Signed.Expires, Targets = new Dictionary<string, TargetFileInfo>() };
    }

    /// <summary>
    /// Creates a repository whose keys are all at hand (development keys, tests, the simulator) and publishes version 1
    /// of every role.
    /// </summary>
    public static TufRepositoryBuilder Initialize(IReadOnlyDictionary<string, TufRoleSigners> roles, DateTimeOffset now,
        TufExpiryPolicy? expiry = null, bool consistentSnapshot = true)
    {
        var policy = expiry ?? TufExpiryPolicy.Default;
        var root = RootMetadata.Create(roles.ToDictionary(r => r.Key, r => r.Value.Assignment), now + policy.Root, consistentSnapshot);
        var builder = new TufRepositoryBuilder(SignedMetadata<RootMetadata>.Create(root, roles[TufRoles.Root].Signers), policy);
        foreach (var (role, signers) in roles) builder.SetSigners(role, signers.Signers);
        builder.Publish(now);
        return builder;
    }

    /// <summary>
    /// Rebuilds the builder from stored metadata (a server restart): every root version in order, each of which must be
    /// accepted by the one before it, and the current targets roles, snapshot and timestamp. Signers are set afterwards.
    /// </summary>
    public static TufRepositoryBuilder Restore(IReadOnlyList<SignedMetadata<RootMetadata>> rootHistory,
        IReadOnlyDictionary<string, SignedMetadata<TargetsMetadata>> targetsRoles, SignedMetadata<SnapshotMetadata> snapshot,
        SignedMetadata<TimestampMetadata> timestamp, DateTimeOffset now, TufExpiryPolicy? expiry = null)
    {
        if (rootHistory.Count == 0) throw new ArgumentException("at least one root is required", nameof(rootHistory));
        var builder = new TufRepositoryBuilder(rootHistory[0], expiry);
        foreach (var root in rootHistory.Skip(1))
        {
            new TrustedMetadataSet(builder.Root.ToBytes(), now).UpdateRoot(root.ToBytes());
            builder.AddRootFile(root);
        }
        builder._drafts.Clear();
        var consistent = builder.Root.Signed.ConsistentSnapshot;
        foreach (var (role, signed) in targetsRoles)
        {
            builder._targets[role] = signed;
            builder._files[TufRoles.FileName(role, consistent ? signed.Signed.Version : null)] = signed.ToBytes();
        }
        builder.Snapshot = snapshot;
        builder._files[TufRoles.FileName(TufRoles.Snapshot, consistent ? snapshot.Signed.Version : null)] = snapshot.ToBytes();
        builder.Timestamp = timestamp;
        builder._files[TufRoles.FileName(TufRoles.Timestamp, null)] = timestamp.ToBytes();
        return builder;
    }

    public SignedMetadata<RootMetadata> Root => _roots[^1];
    public IReadOnlyList<SignedMetadata<RootMetadata>> RootHistory => _roots;
    public SignedMetadata<TimestampMetadata>? Timestamp { get; private set; }
    public SignedMetadata<SnapshotMetadata>? Snapshot { get; private set; }

    /// <summary>The published (signed) targets roles by name, top-level <c>targets</c> included.</summary>
    public IReadOnlyDictionary<string, SignedMetadata<TargetsMetadata>> TargetsRoles => _targets;

    /// <summary>
    /// Every metadata file to serve, by file name: all <c>N.root.json</c>, <c>root.json</c>, <c>timestamp.json</c>, and
    /// snapshot and targets roles as <c>N.ROLE.json</c> (consistent snapshots keep older versions for clients mid-update)
    /// or <c>ROLE.json</c>.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> MetadataFiles => _files;

    /// <summary>Sets who signs a role from now on (timestamp, snapshot, targets or a delegated role).</summary>
    public void SetSigners(string role, IReadOnlyList<ITufSigner> signers) => _signers[role] = signers;

    /// <summary>The unpublished state of a targets role, as the next <see cref="Publish"/> will sign it.</summary>
    public TargetsMetadata DraftTargets(string role = TufRoles.Targets) =>
        _drafts.TryGetValue(role, out var draft) ? draft
        : _targets.TryGetValue(role, out var signed) ? signed.Signed
        : throw new KeyNotFoundException($"no targets role \"{role}\"");

    /// <summary>Changes a targets role; the change is signed at the next <see cref="Publish"/>.</summary>
    public void EditTargets(string role, Func<TargetsMetadata, TargetsMetadata> edit) => _drafts[role] = edit(DraftTargets(role));

    /// <summary>Adds or replaces a target in a targets role.</summary>
    public void AddTarget(string path, TargetFileInfo file, string role = TufRoles.Targets) =>
        EditTargets(role, t => t with { Targets = new Dictionary<string, TargetFileInfo>(t.Targets, StringComparer.Ordinal) { [path] = file } });

    public void RemoveTarget(string path, string role = TufRoles.Targets) =>
        EditTargets(role, t =>
        {
            var targets = new Dictionary<string, TargetFileInfo>(t.Targets, StringComparer.Ordinal);
            targets.Remove(path);
            return t with { Targets = targets };
        });

    /// <summary>
    /// Delegates from <paramref name="delegator"/> to a new or changed role (appended, so earlier delegations keep priority)
    /// and creates the delegatee's empty targets if it has none; <paramref name="signers"/> then sign the delegatee.
    /// </summary>
    public void Delegate(string delegator, DelegatedRole role, IReadOnlyList<TufKey> keys, IReadOnlyList<ITufSigner>? signers = null)
    {
        EditTargets(delegator, t =>
        {
            var existing = t.Delegations ?? new TufDelegations { Keys = new Dictionary<string, TufKey>(), Roles = [] };
            var delegationKeys = new Dictionary<string, TufKey>(existing.Keys, StringComparer.Ordinal);
            foreach (var key in keys) delegationKeys[key.KeyId] = key;
            var roles = existing.Roles.Where(r => r.Name != role.Name).Append(role).ToList();
            return t with { Delegations = new TufDelegations { Keys = delegationKeys, Roles = roles } };
        });
        if (!_drafts.ContainsKey(role.Name) && !_targets.ContainsKey(role.Name))
            _drafts[role.Name] = new TargetsMetadata { Version = 1, Expires = Root.Signed.Expires, Targets = new Dictionary<string, TargetFileInfo>() };
        if (signers is not null) SetSigners(role.Name, signers);
    }

    /// <summary>
    /// Accepts a targets role signed elsewhere (a release signer's workstation) in place of the draft, if it carries the
    /// threshold its delegator requires and is newer than the published version; then re-signs snapshot and timestamp.
    /// </summary>
    public void AcceptSignedTargets(string role, SignedMetadata<TargetsMetadata> signed, DateTimeOffset now)
    {
        var current = _targets.GetValueOrDefault(role);
        if (current is not null && signed.Signed.Version <= current.Signed.Version)
            throw new TufTrustException(TufTrustFailure.Rollback, role, $"version {signed.Signed.Version} is not newer than published {current.Signed.Version}");
        var (roleKeys, keys) = AuthorizedKeys(role);
        var check = signed.VerifyThreshold(roleKeys, keys);
        if (!check.IsMet)
            throw new TufTrustException(TufTrustFailure.ThresholdNotMet, role, $"{check.ValidKeyIds.Count} valid signature(s) of {check.Threshold} required");
        _targets[role] = signed;
        _drafts.Remove(role);
        _files[TufRoles.FileName(role, Root.Signed.ConsistentSnapshot ? signed.Signed.Version : null)] = signed.ToBytes();
        PublishSnapshotAndTimestamp(now);
    }

    /// <summary>
    /// Signs every changed targets role at the next version, then a new snapshot and timestamp (TUF spec 4.4, 4.6).
    /// Throws if a role has no signers.
    /// </summary>
    public void Publish(DateTimeOffset now)
    {
        foreach (var (role, draft) in _drafts.ToList())
        {
            var version = _targets.TryGetValue(role, out var current) ? current.Signed.Version + 1 : draft.Version;
            var signed = SignedMetadata<TargetsMetadata>.Create(draft with { Version = version, Expires = now + _expiry.For(role) }, SignersFor(role));
            _targets[role] = signed;
            _files[TufRoles.FileName(role, Root.Signed.ConsistentSnapshot ? version : null)] = signed.ToBytes();
        }
        _drafts.Clear();
        PublishSnapshotAndTimestamp(now);
    }

    /// <summary>Re-signs only the timestamp with a new version and expiry: what the server does before it expires.</summary>
    public void RefreshTimestamp(DateTimeOffset now)
    {
        var snapshot = Snapshot ?? throw new InvalidOperationException("nothing published yet");
        PublishTimestamp(snapshot, now);
    }

    /// <summary>Re-signs snapshot and timestamp with new versions and expiries.</summary>
    public void RefreshSnapshot(DateTimeOffset now) => PublishSnapshotAndTimestamp(now);

    /// <summary>The next root version with a change applied, for the root key holders to sign (old and new thresholds).</summary>
    public RootMetadata ProposeRoot(Func<RootMetadata, RootMetadata> change, DateTimeOffset now) =>
        change(Root.Signed) with { Version = Root.Signed.Version + 1, Expires = now + _expiry.Root };

    /// <summary>
    /// Accepts a new root exactly when a TUF client holding the current root would (spec 5.3.4-5.3.5). Online roles
    /// whose keys changed need new signers (<see cref="SetSigners"/>, best before this call); snapshot and timestamp are
    /// re-signed at once when their signers are authorized by the new root, so clients follow a key rotation immediately.
    /// </summary>
    public void AcceptRoot(SignedMetadata<RootMetadata> next, DateTimeOffset now)
    {
        new TrustedMetadataSet(Root.ToBytes(), now).UpdateRoot(next.ToBytes());
        AddRootFile(next);
        if (Snapshot is not null && SignersAuthorized(TufRoles.Snapshot) && SignersAuthorized(TufRoles.Timestamp)) PublishSnapshotAndTimestamp(now);
    }

    /// <summary>Rotation when all root keys are at hand: proposes, signs with the old and the new root signers, accepts.</summary>
    public void RotateRoot(Func<RootMetadata, RootMetadata> change, IReadOnlyList<ITufSigner> rootSigners, DateTimeOffset now) =>
        AcceptRoot(SignedMetadata<RootMetadata>.Create(ProposeRoot(change, now), rootSigners), now);

    private void PublishSnapshotAndTimestamp(DateTimeOffset now)
    {
        var meta = new Dictionary<string, MetaFileInfo>(StringComparer.Ordinal);
        foreach (var (role, signed) in _targets)
            meta[role + ".json"] = new MetaFileInfo { Version = signed.Signed.Version };
        var version = (Snapshot?.Signed.Version ?? 0) + 1;
        var snapshot = SignedMetadata<SnapshotMetadata>.Create(
            new SnapshotMetadata { Version = version, Expires = now + _expiry.Snapshot, Meta = meta }, SignersFor(TufRoles.Snapshot));
        Snapshot = snapshot;
        _files[TufRoles.FileName(TufRoles.Snapshot, Root.Signed.ConsistentSnapshot ? version : null)] = snapshot.ToBytes();
        PublishTimestamp(snapshot, now);
    }

    private void PublishTimestamp(SignedMetadata<SnapshotMetadata> snapshot, DateTimeOffset now)
    {
        var bytes = snapshot.ToBytes();
        var snapshotMeta = new MetaFileInfo
        {
            Version = snapshot.Signed.Version,
            Length = bytes.Length,
            Hashes = new Dictionary<string, string>(StringComparer.Ordinal) { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) },
        };
        Timestamp = SignedMetadata<TimestampMetadata>.Create(new TimestampMetadata
        {
            Version = (Timestamp?.Signed.Version ?? 0) + 1, Expires = now + _expiry.Timestamp, SnapshotMeta = snapshotMeta,
        }, SignersFor(TufRoles.Timestamp));
        _files[TufRoles.FileName(TufRoles.Timestamp, null)] = Timestamp.ToBytes();
    }

    private void AddRootFile(SignedMetadata<RootMetadata> root)
    {
        _roots.Add(root);
        var bytes = root.ToBytes();
        _files[TufRoles.FileName(TufRoles.Root, root.Signed.Version)] = bytes;
        _files[TufRoles.FileName(TufRoles.Root, null)] = bytes;
    }

    private bool SignersAuthorized(string role)
    {
        if (!_signers.TryGetValue(role, out var signers)) return false;
        var roleKeys = Root.Signed.RoleKeys(role);
        return signers.Count(s => roleKeys.KeyIds.Contains(s.PublicKey.KeyId)) >= roleKeys.Threshold;
    }

    private (TufRoleKeys RoleKeys, IReadOnlyDictionary<string, TufKey> Keys) AuthorizedKeys(string role)
    {
        if (role == TufRoles.Targets) return (Root.Signed.RoleKeys(TufRoles.Targets), Root.Signed.Keys);
        foreach (var parent in _targets.Values.Select(t => t.Signed).Concat(_drafts.Values))
        {
            var delegated = parent.Delegations?.Roles.FirstOrDefault(r => r.Name == role);
            if (delegated is not null) return (delegated.Keys, parent.Delegations!.Keys);
        }
        throw new KeyNotFoundException($"no role delegates to \"{role}\"");
    }

    private IReadOnlyList<ITufSigner> SignersFor(string role) =>
        _signers.TryGetValue(role, out var signers) ? signers : throw new InvalidOperationException($"no signers for role \"{role}\"");
}
