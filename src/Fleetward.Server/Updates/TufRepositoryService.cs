using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Server.Problems;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Updates;

/// <summary>What an operator asks to publish: an uploaded artifact (by SHA-256) and what it is.</summary>
public sealed record PublishReleaseRequest(
    string ArtifactSha256,
    string FileName,
    string Version,
    long SecurityVersion,
    IReadOnlyList<string> Hardware,
    string Channel = "stable",
    string? SbomSha256 = null);

/// <summary>
/// The server's TUF repository: keeps a <see cref="TufRepositoryBuilder"/> restored from the database, applies
/// releases, uploaded targets and roots to it, and stores every new metadata version with the release rows and audit
/// events of the same change in one transaction. If that transaction fails the in-memory state is dropped and rebuilt
/// from the database, so what clients are served is always what was committed.
/// </summary>
public sealed partial class TufRepositoryService(
    IFleetStore store,
    UpdatesDirectory directory,
    UpdatesSettings settings,
    TufKeyring keyring,
    ArtifactStore artifacts,
    TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TufRepositoryBuilder? _builder;
    private readonly HashSet<string> _pendingRoles = new(StringComparer.Ordinal);

    public UpdatesSettings Settings => settings;
    public UpdatesDirectory Directory => directory;
    public ArtifactStore Artifacts => artifacts;

    /// <summary>
    /// A metadata file by the name a TUF client asks for: <c>timestamp.json</c>, <c>VERSION.ROLE.json</c> (consistent
    /// snapshots, including <c>N.root.json</c>) or <c>ROLE.json</c> (the latest version). Null when there is none.
    /// </summary>
    public async Task<byte[]?> ReadMetadataAsync(string fileName, CancellationToken cancellationToken)
    {
        var match = MetadataName().Match(fileName);
        if (!match.Success) return null;
        var role = match.Groups["role"].Value;
        await using var read = await store.ReadAsync(cancellationToken);
        var stored = match.Groups["version"].Success
            ? long.TryParse(match.Groups["version"].Value, out var version) ? await read.TufMetadata.GetAsync(role, version, cancellationToken) : null
            : await read.TufMetadata.GetLatestAsync(role, cancellationToken);
        return stored?.Content;
    }

    /// <summary>
    /// Resolves a consistent-snapshot target name <c>DIR/HASH.FILE</c> (TUF spec 5.7.3) to a signed-or-pending release
    /// and opens its artifact; the hash may be any hash the target lists. Null when nothing matches.
    /// </summary>
    public async Task<(Release Release, FileStream Content)?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken)
    {
        var slash = repositoryPath.LastIndexOf('/');
        var name = repositoryPath[(slash + 1)..];
        var dot = name.IndexOf('.');
        if (dot <= 0) return null;
        var hash = name[..dot];
        var targetPath = repositoryPath[..(slash + 1)] + name[(dot + 1)..];
        Release? release;
        await using (var read = await store.ReadAsync(cancellationToken))
        {
            release = await read.Releases.FindByTargetPathAsync(targetPath, cancellationToken);
        }
        if (release is null || (hash != release.Sha256 && hash != release.Sha512)) return null;
        var content = artifacts.Open(release.Sha256);
        return content is null ? null : (release, content);
    }

    /// <summary>The current root, signed.</summary>
    public Task<SignedMetadata<RootMetadata>> CurrentRootAsync(CancellationToken cancellationToken) =>
        WithBuilderAsync(builder => Task.FromResult(builder.Root), cancellationToken);

    /// <summary>
    /// The public keys of the server's online signers, as a root ceremony lists them for snapshot and timestamp
    /// (each with the marker it is listed under today, unmarked when it is not listed yet).
    /// </summary>
    public Task<IReadOnlyList<TufKey>> OnlineKeysAsync(CancellationToken cancellationToken) =>
        WithBuilderAsync(builder =>
        {
            var listed = builder.Root.Signed.Keys;
            IReadOnlyList<TufKey> keys = keyring.Signers.Select(s =>
                Enum.GetValues<SigningKeyClass>().Select(c => SigningKeyMarker.Mark(s.PublicKey, c)).FirstOrDefault(k => listed.ContainsKey(k.KeyId))
                ?? s.PublicKey).ToList();
            return Task.FromResult(keys);
        }, cancellationToken);

    /// <summary>
    /// Stores a release and adds its target. When the server holds the keys of the release's targets role (a
    /// development setup) it signs at once under the signing policy; otherwise the release stays pending until a
    /// release signer uploads the role signed offline (<see cref="AcceptSignedTargetsAsync"/>).
    /// </summary>
    public async Task<Release> PublishAsync(PublishReleaseRequest request, string actor, CancellationToken cancellationToken)
    {
        var channel = Validate(request);
        var info = await artifacts.DescribeAsync(request.ArtifactSha256, cancellationToken)
            ?? throw ProblemException.Validation("$.artifactSha256", $"no uploaded artifact has SHA-256 {request.ArtifactSha256}; upload it first.");
        var now = time.GetUtcNow();
        var release = new Release("rel_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), request.Version, request.SecurityVersion,
            channel, ReleaseTarget.PathFor(channel, request.Version, request.FileName), ReleaseTarget.RoleFor(channel),
            [.. request.Hardware.Distinct(StringComparer.Ordinal)], info.Length, info.Hashes["sha256"], info.Hashes["sha512"],
            request.SbomSha256, ReleaseState.Pending, now, actor, null, null);

        return await RefusalAuditedAsync(() => MutateAsync(async (builder, uow) =>
        {
            if (!await uow.Releases.InsertAsync(release, cancellationToken))
                throw new ProblemException(new Problem(ProblemType.Conflict, $"a release with target path {release.TargetPath} already exists.", "$.version"));
            builder.AddTarget(release.TargetPath, ReleaseTarget.Describe(release), release.TargetsRole);
            _pendingRoles.Add(release.TargetsRole);
            await uow.Audit.AppendAsync(Event("release.published", actor, release.Id, new
            {
                release.Version, release.SecurityVersion, channel = channel.ToName(), release.TargetPath, release.Sha256, release.Length,
                hardware = release.HardwareIds, release.SbomSha256,
            }, now), cancellationToken);

            var signers = SignersForPending(builder);
            if (signers is not null)
            {
                await EnforcePolicyAsync(uow, builder, release.TargetsRole, [release], signers.Select(s => s.PublicKey.KeyId), actor, now, cancellationToken);
                builder.Publish(now);
                _pendingRoles.Clear();
                await MarkSignedAsync(uow, builder, release.TargetsRole, signers.Select(s => s.PublicKey.KeyId).ToList(), actor, now, cancellationToken);
            }
            return (await uow.Releases.GetAsync(release.Id, cancellationToken))!;
        }, cancellationToken), actor, cancellationToken);
    }

    /// <summary>
    /// The next version of a targets role with every pending release in it, unsigned: what a release signer signs
    /// offline with <c>fleetward release sign</c> and uploads.
    /// </summary>
    public Task<SignedMetadata<TargetsMetadata>> DraftAsync(string role, CancellationToken cancellationToken) =>
        WithBuilderAsync(builder =>
        {
            TargetsMetadata draft;
            try
            {
                draft = builder.DraftTargets(role);
            }
            catch (KeyNotFoundException)
            {
                throw ProblemException.NotFound($"No targets role '{role}'.");
            }
            var published = builder.TargetsRoles.TryGetValue(role, out var current) ? current.Signed.Version : 0;
            var next = draft with { Version = published + 1, Expires = time.GetUtcNow() + settings.TargetsLifetime };
            return Task.FromResult(SignedMetadata<TargetsMetadata>.Create(next, []));
        }, cancellationToken);

    /// <summary>
    /// Accepts a targets role signed offline: it must carry the threshold its delegator requires and be newer than the
    /// published version (the checks a client makes), and every signing key must pass the signing policy for every
    /// pending release it vouches for. Releases it lists become signed.
    /// </summary>
    public async Task<TargetsMetadata> AcceptSignedTargetsAsync(string role, byte[] content, string actor, CancellationToken cancellationToken)
    {
        SignedMetadata<TargetsMetadata> signed;
        try
        {
            signed = SignedMetadata<TargetsMetadata>.Parse(content);
        }
        catch (Exception e) when (e is TufMetadataFormatException or JsonException or TufKeyFormatException)
        {
            throw ProblemException.Validation("$", "not valid TUF targets metadata: " + e.Message);
        }
        var now = time.GetUtcNow();
        return await RefusalAuditedAsync(() => MutateAsync(async (builder, uow) =>
        {
            var pending = (await uow.Releases.ListAsync(state: ReleaseState.Pending, cancellationToken: cancellationToken))
                .Where(r => r.TargetsRole == role && signed.Signed.Targets.ContainsKey(r.TargetPath)).ToList();
            var (roleKeys, keys) = AuthorizedKeys(builder, role);
            var signing = signed.VerifyThreshold(roleKeys, keys).ValidKeyIds;
            await EnforcePolicyAsync(uow, builder, role, pending, signing, actor, now, cancellationToken);
            try
            {
                builder.AcceptSignedTargets(role, signed, now);
            }
            catch (TufTrustException e)
            {
                throw new ProblemException(new Problem(TufRefused, e.Message, "$"), e);
            }
            _pendingRoles.Remove(role);
            await uow.Audit.AppendAsync(Event("tuf.targets_accepted", actor, role, new { version = signed.Signed.Version, keyIds = signing }, now), cancellationToken);
            await MarkSignedAsync(uow, builder, role, [.. signing], actor, now, cancellationToken);
            return signed.Signed;
        }, cancellationToken), actor, cancellationToken);
    }

    /// <summary>
    /// Accepts a root signed offline exactly when a TUF client holding the current root would (spec 5.3.4-5.3.5: the
    /// old threshold and the new threshold). The server must hold the keys the new root lists for snapshot and timestamp
    /// (else clients could not follow); it then re-signs them, and targets roles it can sign, at once.
    /// </summary>
    public async Task<RootMetadata> AcceptRootAsync(byte[] content, string actor, CancellationToken cancellationToken)
    {
        SignedMetadata<RootMetadata> next;
        try
        {
            next = SignedMetadata<RootMetadata>.Parse(content);
        }
        catch (Exception e) when (e is TufMetadataFormatException or JsonException or TufKeyFormatException)
        {
            throw ProblemException.Validation("$", "not valid TUF root metadata: " + e.Message);
        }
        var now = time.GetUtcNow();
        return await MutateAsync(async (builder, uow) =>
        {
            foreach (var role in new[] { TufRoles.Snapshot, TufRoles.Timestamp })
            {
                var signers = keyring.SignersFor(next.Signed.RoleKeys(role), next.Signed.Keys)
                    ?? throw new ProblemException(new Problem(ProblemType.Conflict,
                        $"the new root lists {role} keys this server does not hold; install the {role} key file in {directory.KeysDirectory} first.", $"$.signed.roles.{role}"));
                builder.SetSigners(role, signers);
            }
            try
            {
                builder.AcceptRoot(next, now);
            }
            catch (TufTrustException e)
            {
                throw new ProblemException(new Problem(TufRefused, e.Message, "$"), e);
            }
            var targetsSigners = keyring.SignersFor(next.Signed.RoleKeys(TufRoles.Targets), next.Signed.Keys);
            if (targetsSigners is not null)
            {
                // A rotated targets key must re-sign targets, or clients refuse the old targets under the new root.
                builder.SetSigners(TufRoles.Targets, targetsSigners);
                // Only with nothing pending: publishing would otherwise sign pending releases past the signing policy.
                if (_pendingRoles.Count == 0)
                {
                    builder.EditTargets(TufRoles.Targets, t => t);
                    builder.Publish(now);
                }
            }
            await uow.Audit.AppendAsync(Event("tuf.root_accepted", actor, "root", new
            {
                version = next.Signed.Version, keyIds = next.Signatures.Select(s => s.KeyId).ToList(),
            }, now), cancellationToken);
            return next.Signed;
        }, cancellationToken);
    }

    /// <summary>
    /// Re-signs what expires within half its lifetime: the timestamp, the snapshot, and targets roles the server holds
    /// keys for. The re-signing service calls this periodically; returns the roles re-signed.
    /// </summary>
    public async Task<IReadOnlyList<string>> RefreshDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await WithBuilderAsync(builder => Task.FromResult(DueRoles(builder, now)), cancellationToken);
        if (due.Count == 0) return due;
        return await MutateAsync(async (builder, uow) =>
        {
            var roles = DueRoles(builder, now);
            var targets = roles.Where(r => r != TufRoles.Snapshot && r != TufRoles.Timestamp).ToList();
            if (targets.Count > 0)
            {
                foreach (var role in targets) builder.EditTargets(role, t => t);
                builder.Publish(now);
            }
            else if (roles.Contains(TufRoles.Snapshot)) builder.RefreshSnapshot(now);
            else if (roles.Contains(TufRoles.Timestamp)) builder.RefreshTimestamp(now);
            if (roles.Count > 0)
                await uow.Audit.AppendAsync(Event("tuf.resigned", "fleetward-server", "repository", new { roles, timestamp = builder.Timestamp!.Signed.Version }, now), cancellationToken);
            return roles;
        }, cancellationToken);
    }

    private List<string> DueRoles(TufRepositoryBuilder builder, DateTimeOffset now)
    {
        var due = new List<string>();
        bool Near(TufRoleMetadata metadata, TimeSpan lifetime) => metadata.Expires - now <= lifetime / 2;
        // Re-signing a targets role publishes every draft, so it waits while releases are pending (they are signed by
        // publish or upload, under the signing policy); snapshot and timestamp never wait.
        foreach (var (role, signed) in builder.TargetsRoles)
        {
            if (_pendingRoles.Count == 0 && Near(signed.Signed, settings.TargetsLifetime) && CanSign(builder, role)) due.Add(role);
        }
        if (builder.Snapshot is { } snapshot && Near(snapshot.Signed, settings.SnapshotLifetime)) due.Add(TufRoles.Snapshot);
        if (builder.Timestamp is { } timestamp && Near(timestamp.Signed, settings.TimestampLifetime)) due.Add(TufRoles.Timestamp);
        return due;
    }

    /// <summary>Drops the in-memory state so the next call rebuilds it from the database.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _builder = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> WithBuilderAsync<T>(Func<TufRepositoryBuilder, Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await action(_builder ??= await RestoreAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> MutateAsync<T>(Func<TufRepositoryBuilder, IFleetUnitOfWork, Task<T>> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var builder = _builder ??= await RestoreAsync(cancellationToken);
            try
            {
                await using var uow = await store.BeginAsync(cancellationToken);
                var result = await change(builder, uow);
                await PersistAsync(builder, uow, time.GetUtcNow(), cancellationToken);
                await uow.CommitAsync(cancellationToken);
                return result;
            }
            catch
            {
                _builder = null;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes every metadata version the builder holds that the database does not have yet.</summary>
    private static async Task PersistAsync(TufRepositoryBuilder builder, IFleetUnitOfWork uow, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var root in builder.RootHistory) await Insert(root.Signed, root.ToBytes());
        foreach (var (role, signed) in builder.TargetsRoles) await Insert(signed.Signed, signed.ToBytes(), role);
        if (builder.Snapshot is { } snapshot) await Insert(snapshot.Signed, snapshot.ToBytes());
        if (builder.Timestamp is { } timestamp) await Insert(timestamp.Signed, timestamp.ToBytes());

        Task<bool> Insert(TufRoleMetadata metadata, byte[] bytes, string? role = null) =>
            uow.TufMetadata.InsertAsync(new StoredTufMetadata(role ?? metadata.RoleType, metadata.Version, bytes, metadata.Expires, now), cancellationToken);
    }

    /// <summary>Stores a freshly initialised repository (development key set or a first production root).</summary>
    public static async Task SaveNewAsync(IFleetStore store, TufRepositoryBuilder builder, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var uow = await store.BeginAsync(cancellationToken);
        if (await uow.TufMetadata.GetLatestAsync(TufRoles.Root, cancellationToken) is not null)
            throw new InvalidOperationException("the database already holds a TUF repository");
        await PersistAsync(builder, uow, now, cancellationToken);
        await uow.Audit.AppendAsync(Event("tuf.repository_initialized", actor, "root", new
        {
            rootVersion = builder.Root.Signed.Version,
            keyIds = builder.Root.Signed.Keys.Keys.Order(StringComparer.Ordinal).ToList(),
        }, now), cancellationToken);
        await uow.CommitAsync(cancellationToken);
    }

    private async Task<TufRepositoryBuilder> RestoreAsync(CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        var roots = (await read.TufMetadata.ListVersionsAsync(TufRoles.Root, cancellationToken)).Select(r => SignedMetadata<RootMetadata>.Parse(r.Content)).ToList();
        if (roots.Count == 0) throw new ProblemException(new Problem(ProblemType.Unavailable, "The update repository has no root yet; run 'fleetward init' or upload a root."));
        var targets = new Dictionary<string, SignedMetadata<TargetsMetadata>>(StringComparer.Ordinal);
        foreach (var role in await read.TufMetadata.ListRolesAsync(cancellationToken))
        {
            if (TufRoles.IsTopLevel(role) && role != TufRoles.Targets) continue;
            targets[role] = SignedMetadata<TargetsMetadata>.Parse((await read.TufMetadata.GetLatestAsync(role, cancellationToken))!.Content);
        }
        var snapshot = SignedMetadata<SnapshotMetadata>.Parse((await read.TufMetadata.GetLatestAsync(TufRoles.Snapshot, cancellationToken))!.Content);
        var timestamp = SignedMetadata<TimestampMetadata>.Parse((await read.TufMetadata.GetLatestAsync(TufRoles.Timestamp, cancellationToken))!.Content);
        var builder = TufRepositoryBuilder.Restore(roots, targets, snapshot, timestamp, time.GetUtcNow(), settings.Expiry);
        var root = builder.Root.Signed;
        foreach (var role in new[] { TufRoles.Snapshot, TufRoles.Timestamp, TufRoles.Targets })
        {
            if (keyring.SignersFor(root.RoleKeys(role), root.Keys) is { } signers) builder.SetSigners(role, signers);
        }
        foreach (var parent in builder.TargetsRoles.Values.ToList())
        {
            foreach (var delegated in parent.Signed.Delegations?.Roles ?? [])
            {
                if (keyring.SignersFor(delegated.Keys, parent.Signed.Delegations!.Keys) is { } signers) builder.SetSigners(delegated.Name, signers);
            }
        }
        _pendingRoles.Clear();
        foreach (var pending in await read.Releases.ListAsync(state: ReleaseState.Pending, cancellationToken: cancellationToken))
        {
            builder.AddTarget(pending.TargetPath, ReleaseTarget.Describe(pending), pending.TargetsRole);
            _pendingRoles.Add(pending.TargetsRole);
        }
        return builder;
    }

    private bool CanSign(TufRepositoryBuilder builder, string role)
    {
        try
        {
            var (roleKeys, keys) = AuthorizedKeys(builder, role);
            return keyring.SignersFor(roleKeys, keys) is not null;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The signers of the pending roles when the server can sign all of them, else null.</summary>
    private IReadOnlyList<ITufSigner>? SignersForPending(TufRepositoryBuilder builder)
    {
        var all = new List<ITufSigner>();
        foreach (var role in _pendingRoles)
        {
            var (roleKeys, keys) = AuthorizedKeys(builder, role);
            var signers = keyring.SignersFor(roleKeys, keys);
            if (signers is null) return null;
            builder.SetSigners(role, signers);
            all.AddRange(signers);
        }
        return all;
    }

    private static (TufRoleKeys RoleKeys, IReadOnlyDictionary<string, TufKey> Keys) AuthorizedKeys(TufRepositoryBuilder builder, string role)
    {
        if (role == TufRoles.Targets) return (builder.Root.Signed.RoleKeys(TufRoles.Targets), builder.Root.Signed.Keys);
        foreach (var parentRole in builder.TargetsRoles.Keys)
        {
            var parent = builder.DraftTargets(parentRole);
            var delegated = parent.Delegations?.Roles.FirstOrDefault(r => r.Name == role);
            if (delegated is not null) return (delegated.Keys, parent.Delegations!.Keys);
        }
        throw ProblemException.NotFound($"No targets role '{role}' is delegated in this repository.");
    }

    /// <summary>Applies <see cref="ReleaseSigningPolicy"/> to every (release, key) pair; throws <see cref="SigningRefusal"/> at the first refusal.</summary>
    private async Task EnforcePolicyAsync(IFleetUnitOfWork uow, TufRepositoryBuilder builder, string role, IReadOnlyList<Release> releases,
        IEnumerable<string> keyIds, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (roleKeys, keys) = AuthorizedKeys(builder, role);
        var repositoryClass = SigningKeyMarker.RoleClass(builder.Root.Signed.RoleKeys(TufRoles.Targets), builder.Root.Signed.Keys);
        var configured = settings.SigningKeys.Select(k => k.ToRules()).ToDictionary(r => r.KeyId, StringComparer.Ordinal);
        var rules = keys.Values.Select(k => configured.GetValueOrDefault(k.KeyId) ?? new SigningKeyRules(k.KeyId, SigningKeyMarker.ClassOf(k), []));
        var policy = new ReleaseSigningPolicy(rules.Concat(configured.Values.Where(c => !keys.ContainsKey(c.KeyId))));
        foreach (var keyId in keyIds.Where(roleKeys.KeyIds.Contains))
        {
            var lookback = policy.Keys.TryGetValue(keyId, out var keyRules) && keyRules.QuotaPeriod is { } period ? now - period : now.AddDays(-1);
            var recent = await uow.Releases.ListSignaturesByKeyAsync(keyId, lookback, cancellationToken);
            foreach (var release in releases)
            {
                var decision = policy.Evaluate(new SigningRequest(release.Id, keyId, repositoryClass), recent, now);
                if (!decision.Allowed) throw new SigningRefusal(release, keyId, decision);
            }
        }
    }

    /// <summary>
    /// Runs a change that may meet a signing refusal: the change's transaction is rolled back first, then the refusal is
    /// audited in a transaction of its own (the refused release itself is not stored) and the request ends with a problem.
    /// </summary>
    private async Task<T> RefusalAuditedAsync<T>(Func<Task<T>> change, string actor, CancellationToken cancellationToken)
    {
        try
        {
            return await change();
        }
        catch (SigningRefusal refusal)
        {
            var (release, keyId, decision) = (refusal.Release, refusal.KeyId, refusal.Decision);
            await using (var uow = await store.BeginAsync(cancellationToken))
            {
                await uow.Audit.AppendAsync(Event("release.signing_refused", actor, release.Id,
                    new { keyId, decision.Rule, decision.Reason, release.TargetPath, release.Version }, time.GetUtcNow()), cancellationToken);
                await uow.CommitAsync(cancellationToken);
            }
            throw new ProblemException(new Problem(SigningRefused, $"signing release {release.Version} ({release.TargetPath}) with key {keyId} refused by rule {decision.Rule}: {decision.Reason}"), refusal);
        }
    }

    private sealed class SigningRefusal(Release release, string keyId, SigningDecision decision) : Exception(decision.Reason)
    {
        public Release Release { get; } = release;
        public string KeyId { get; } = keyId;
        public SigningDecision Decision { get; } = decision;
    }

    private static async Task MarkSignedAsync(IFleetUnitOfWork uow, TufRepositoryBuilder builder, string role, IReadOnlyList<string> keyIds,
        string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (signedRole, signed) in builder.TargetsRoles)
        {
            var pending = (await uow.Releases.ListAsync(state: ReleaseState.Pending, cancellationToken: cancellationToken))
                .Where(r => r.TargetsRole == signedRole && signed.Signed.Targets.ContainsKey(r.TargetPath)).ToList();
            if (pending.Count == 0) continue;
            await uow.Releases.MarkSignedAsync([.. pending.Select(r => r.Id)], signed.Signed.Version, now, cancellationToken);
            var signers = signed.Signatures.Select(s => s.KeyId).Where(k => signedRole == role ? keyIds.Contains(k) : true).Distinct().ToList();
            foreach (var release in pending)
            {
                foreach (var keyId in signers) await uow.Releases.RecordSignatureAsync(new ReleaseSignature(release.Id, keyId, signedRole, now), cancellationToken);
                await uow.Audit.AppendAsync(Event("release.signed", actor, release.Id, new { role = signedRole, targetsVersion = signed.Signed.Version, keyIds = signers }, now), cancellationToken);
            }
        }
    }

    private static ReleaseChannel Validate(PublishReleaseRequest request)
    {
        if (!ArtifactStore.IsSha256Hex(request.ArtifactSha256 ?? ""))
            throw ProblemException.Validation("$.artifactSha256", "must be a lower-case hex SHA-256 digest.");
        if (string.IsNullOrEmpty(request.FileName) || !SafeName().IsMatch(request.FileName))
            throw ProblemException.Validation("$.fileName", "must be 1-128 characters of letters, digits, '.', '_', '-', not starting with '.'.");
        if (string.IsNullOrEmpty(request.Version) || !SafeName().IsMatch(request.Version))
            throw ProblemException.Validation("$.version", "must be 1-128 characters of letters, digits, '.', '_', '-', not starting with '.'.");
        if (request.SecurityVersion < 0) throw ProblemException.Validation("$.securityVersion", "must not be negative.");
        if (request.Hardware is null || request.Hardware.Count == 0 || request.Hardware.Any(h => string.IsNullOrWhiteSpace(h) || h.Length > 128))
            throw ProblemException.Validation("$.hardware", "name at least one hardware model (each 1-128 characters).");
        if (!ReleaseChannelNames.TryParse(request.Channel, out var channel))
            throw ProblemException.Validation("$.channel", $"must be stable or security, got '{request.Channel}'.");
        if (request.SbomSha256 is not null && !ArtifactStore.IsSha256Hex(request.SbomSha256))
            throw ProblemException.Validation("$.sbomSha256", "must be a lower-case hex SHA-256 digest.");
        return channel;
    }

    private static AuditEvent Event(string type, string actor, string subject, object payload, DateTimeOffset now) =>
        new(type, now, actor, subject, JsonSerializer.Serialize(payload, JsonBody.Options));

    public static readonly ProblemType SigningRefused = new("signing-refused", 409, "The signing policy refuses this signature");
    public static readonly ProblemType TufRefused = new("tuf-refused", 409, "The metadata is not acceptable to a TUF client");

    [GeneratedRegex(@"^(?:(?<version>[0-9]+)\.)?(?<role>[A-Za-z0-9_\-]+)\.json$")]
    private static partial Regex MetadataName();

    [GeneratedRegex(@"^[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,127}$")]
    private static partial Regex SafeName();
}
