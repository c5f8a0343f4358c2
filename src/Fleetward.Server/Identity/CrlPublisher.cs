using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Ports;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>
/// The issuing CA's CRL (RFC 5280 5), served at a stable URL. Rebuilt after every revocation and whenever the current
/// one is older than <see cref="RebuildAfter"/>, so its nextUpdate (<see cref="Validity"/>) never passes while the server runs.
/// Each build takes the next persistent CRL number (RFC 5280 5.2.3) in its own transaction.
/// </summary>
public sealed class CrlPublisher(IFleetStore store, TimeProvider time, FleetCertificateAuthority? authority = null)
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);
    public static readonly TimeSpan RebuildAfter = TimeSpan.FromHours(1);
    public const string Path = "/pki/crl.der";
    public const string MediaType = "application/pkix-crl";

    private readonly SemaphoreSlim _build = new(1, 1);
    private volatile Published? _current;

    /// <summary>The current CRL (DER).</summary>
    public async Task<byte[]> GetAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is not null && time.GetUtcNow() - current.ThisUpdate < RebuildAfter)
        {
            return current.Der;
        }

        return await RebuildAsync(cancellationToken);
    }

    /// <summary>Builds a new CRL from the store now (call after committing a revocation).</summary>
    public async Task<byte[]> RebuildAsync(CancellationToken cancellationToken)
    {
        var ca = authority ?? throw new InvalidOperationException("No device certificate authority is configured.");
        await _build.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            long number;
            IReadOnlyList<StoredDeviceCertificate> revoked;
            await using (var uow = await store.BeginAsync(cancellationToken))
            {
                number = await uow.Certificates.NextCrlNumberAsync(cancellationToken);
                revoked = await uow.Certificates.ListRevokedAsync(now, cancellationToken);
                await uow.CommitAsync(cancellationToken);
            }

            var entries = revoked.Select(c => new RevokedCertificate(
                Convert.FromHexString(c.SerialNumberHex),
                c.RevokedAt!.Value,
                RevocationReasonNames.TryParse(c.RevocationReason, out var reason) ? reason.Value : X509RevocationReason.Unspecified));
            var der = ca.Authority.BuildRevocationList(entries, number, now, Validity);
            _current = new Published(der, now);
            return der;
        }
        finally
        {
            _build.Release();
        }
    }

    private sealed record Published(byte[] Der, DateTimeOffset ThisUpdate);
}
