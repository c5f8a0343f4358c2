using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Trust.Pki;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Server.Identity;

/// <summary>
/// Is a device certificate revoked? For other areas (the rollout update gate, check-in) as well as the device
/// listener. Answers from memory, refreshed from the store at most <see cref="RevocationRegistry.MaxAge"/> apart and
/// at once when this process revokes.
/// </summary>
public interface IDeviceRevocationLookup
{
    /// <param name="serialNumberHex">Upper-case hex, as <see cref="X509Certificate2.SerialNumber"/>.</param>
    ValueTask<bool> IsRevokedAsync(string serialNumberHex, CancellationToken cancellationToken = default);
}

/// <summary>
/// The revoked serial numbers in memory. The TLS handshake cannot wait for I/O, so it reads the last snapshot and, if
/// that is stale, starts a refresh in the background; request code awaits a fresh snapshot instead. Revocations made
/// in this process are applied to the snapshot before their transaction's caller returns.
/// </summary>
public sealed class RevocationRegistry(IFleetStore store, TimeProvider time, ILogger<RevocationRegistry>? logger = null) : IDeviceRevocationLookup
{
    private readonly ILogger _logger = logger ?? NullLogger<RevocationRegistry>.Instance;

    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly List<(string Serial, long At)> _added = [];
    private volatile Snapshot? _snapshot;

    public async ValueTask<bool> IsRevokedAsync(string serialNumberHex, CancellationToken cancellationToken = default) =>
        (await CurrentAsync(cancellationToken)).Contains(serialNumberHex);

    /// <summary>
    /// Synchronous check for callers that cannot await (the rollout gate's lookup): answers from the latest snapshot,
    /// which is refreshed in the background once older than <see cref="MaxAge"/> and updated at once by local revocations.
    /// </summary>
    public bool IsRevoked(X509Certificate2 certificate) => Latest().Contains(certificate.SerialNumber);

    /// <summary>A snapshot no older than <see cref="MaxAge"/>.</summary>
    public async ValueTask<IReadOnlySet<string>> CurrentAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && time.GetElapsedTime(snapshot.LoadedAt) < MaxAge)
        {
            return snapshot.Serials;
        }

        return await RefreshAsync(cancellationToken);
    }

    /// <summary>For the handshake: the last snapshot without waiting (loads synchronously only the very first time).</summary>
    public IReadOnlySet<string> Latest()
    {
        var snapshot = _snapshot;
        if (snapshot is null)
        {
            return RefreshAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        if (time.GetElapsedTime(snapshot.LoadedAt) >= MaxAge)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RefreshAsync(CancellationToken.None);
                }
                catch (Exception error)
                {
                    // The next handshake or request tries again; requests refuse to proceed without a fresh snapshot.
                    _logger.LogWarning(error, "Background refresh of the revoked certificates failed; handshakes keep the previous snapshot");
                }
            });
        }

        return snapshot.Serials;
    }

    /// <summary>Applies revocations this process just committed.</summary>
    public void Add(IEnumerable<string> serialNumbersHex)
    {
        lock (_added)
        {
            var now = time.GetTimestamp();
            var current = _snapshot;
            var serials = new HashSet<string>(current?.Serials ?? (IEnumerable<string>)[], StringComparer.Ordinal);
            foreach (var serial in serialNumbersHex)
            {
                serials.Add(serial);
                _added.Add((serial, now));
            }

            _snapshot = new Snapshot(serials, current?.LoadedAt ?? now);
        }
    }

    private async ValueTask<IReadOnlySet<string>> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var current = _snapshot;
            if (current is not null && time.GetElapsedTime(current.LoadedAt) < MaxAge)
            {
                return current.Serials;
            }

            var started = time.GetTimestamp();
            IReadOnlyList<StoredDeviceCertificate> revoked;
            await using (var read = await store.ReadAsync(cancellationToken))
            {
                revoked = await read.Certificates.ListRevokedAsync(time.GetUtcNow(), cancellationToken);
            }

            var serials = revoked.Select(c => c.SerialNumberHex).ToHashSet(StringComparer.Ordinal);
            lock (_added)
            {
                // A revocation applied by Add after this read began may be missing from it: keep those.
                _added.RemoveAll(entry => entry.At < started);
                serials.UnionWith(_added.Select(entry => entry.Serial));
                _snapshot = new Snapshot(serials, started);
            }

            return serials;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record Snapshot(IReadOnlySet<string> Serials, long LoadedAt);
}

/// <summary>Device registry rows for the per-request state check, each at most <see cref="MaxAge"/> old; lifecycle changes in this process evict at once.</summary>
public sealed class DeviceStateCache(IFleetStore store, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Device? Device, long LoadedAt)> _entries = new(StringComparer.Ordinal);

    public async ValueTask<Device?> GetAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(deviceId, out var entry) && time.GetElapsedTime(entry.LoadedAt) < MaxAge)
        {
            return entry.Device;
        }

        var started = time.GetTimestamp();
        Device? device;
        await using (var read = await store.ReadAsync(cancellationToken))
        {
            device = await read.Devices.GetAsync(deviceId, cancellationToken);
        }

        if (_entries.Count > 100_000)
        {
            _entries.Clear();
        }

        _entries[deviceId] = (device, started);
        return device;
    }

    public void Evict(string deviceId) => _entries.TryRemove(deviceId, out _);
}

/// <summary>
/// The factory CAs of every enrollment group, as verifiers, for the handshake (which must admit IDevID certificates
/// to /simpleenroll) and for enrollment. Reloaded at most <see cref="MaxAge"/> apart and at once after a group is created here.
/// </summary>
public sealed class FactoryTrustCache(IFleetStore store, TimeProvider time, ILogger<FactoryTrustCache>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<FactoryTrustCache>.Instance;

    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;

    public async ValueTask<IReadOnlyList<(string Group, FactoryCertificateVerifier Verifier)>> CurrentAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && time.GetElapsedTime(snapshot.LoadedAt) < MaxAge)
        {
            return snapshot.Verifiers;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && time.GetElapsedTime(snapshot.LoadedAt) < MaxAge)
            {
                return snapshot.Verifiers;
            }

            var started = time.GetTimestamp();
            IReadOnlyList<EnrollmentGroup> groups;
            await using (var read = await store.ReadAsync(cancellationToken))
            {
                groups = await read.Enrollment.ListGroupsAsync(cancellationToken);
            }

            var verifiers = new List<(string, FactoryCertificateVerifier)>();
            foreach (var group in groups.Where(g => g.UsesFactoryCa))
            {
                var certificates = group.FactoryCaCertificates.Select(der => X509CertificateLoader.LoadCertificate(der)).ToList();
                bool SelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);
                verifiers.Add((group.Name, new FactoryCertificateVerifier(certificates.Where(SelfSigned), certificates.Where(c => !SelfSigned(c)))));
            }

            _snapshot = new Snapshot(verifiers, started);
            return verifiers;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// For the handshake, which must not wait on the database: the last snapshot (loaded synchronously only the very
    /// first time), with a refresh started in the background when it is stale.
    /// </summary>
    public (string Group, FactoryIdentity Identity)? FindInLatest(X509Certificate2 certificate, IEnumerable<X509Certificate2> presentedIntermediates, DateTimeOffset now)
    {
        var snapshot = _snapshot;
        IReadOnlyList<(string, FactoryCertificateVerifier)> verifiers;
        if (snapshot is null)
        {
            verifiers = CurrentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
        else
        {
            verifiers = snapshot.Verifiers;
            if (time.GetElapsedTime(snapshot.LoadedAt) >= MaxAge)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await CurrentAsync(CancellationToken.None);
                    }
                    catch (Exception error)
                    {
                        // The next handshake tries again; enrollment itself re-checks against a fresh snapshot.
                        _logger.LogWarning(error, "Background refresh of the factory trust anchors failed; handshakes keep the previous snapshot");
                    }
                });
            }
        }

        return Match(verifiers, certificate, presentedIntermediates.ToList(), now);
    }

    /// <summary>The group whose factory CA vouches for <paramref name="certificate"/>, with the device it names; null when none does.</summary>
    public async ValueTask<(string Group, FactoryIdentity Identity)?> FindAsync(
        X509Certificate2 certificate, IEnumerable<X509Certificate2> presentedIntermediates, DateTimeOffset now, CancellationToken cancellationToken) =>
        Match(await CurrentAsync(cancellationToken), certificate, presentedIntermediates.ToList(), now);

    private static (string Group, FactoryIdentity Identity)? Match(
        IReadOnlyList<(string Group, FactoryCertificateVerifier Verifier)> verifiers, X509Certificate2 certificate, List<X509Certificate2> intermediates, DateTimeOffset now)
    {
        foreach (var (group, verifier) in verifiers)
        {
            var result = verifier.Verify(certificate, intermediates, now);
            if (result.IsSuccess)
            {
                return (group, result.Value);
            }
        }

        return null;
    }

    public void Invalidate() => _snapshot = null;

    private sealed record Snapshot(IReadOnlyList<(string, FactoryCertificateVerifier)> Verifiers, long LoadedAt);
}
