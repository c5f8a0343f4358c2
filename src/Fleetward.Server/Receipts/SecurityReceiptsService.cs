using System.Security.Cryptography;
using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Server.Options;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Receipts;

/// <summary>The log has no signing key, so receipts can be shown but not signed.</summary>
public sealed class ReceiptSigningUnavailableException(string message) : Exception(message);

/// <summary>
/// Makes the security receipts from one read-only snapshot of the database: the aggregate counts, then a check of
/// the newest audit checkpoint against the log key and the stored tree, then the pure calculation. Signs them with
/// the audit-log key, the key auditors already pin for the log. This server's device connection counts not yet
/// written are written first, so the receipt includes every request this server answered.
/// </summary>
public sealed class SecurityReceiptsService(IFleetStore store, ServerOptions options, TimeProvider time, DeviceConnectionTallyWriter connections)
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    /// <summary>
    /// The receipt's server name: the audit log's origin when a log key is configured (the name in its checkpoints and
    /// signatures), else the operator listener's host.
    /// </summary>
    public string ServerName => options.AuditLogSigner?.VerifierKey.Name ?? options.OperatorUrl.Host;

    public async Task<SecurityReceipts> ComputeAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        if (window <= TimeSpan.Zero || window > MaxWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, $"the window must be positive and at most {MaxWindow.TotalDays} days");
        }
        await connections.FlushAsync(cancellationToken);
        var now = time.GetUtcNow();
        var windowStart = now - window;
        await using var read = await store.ReadAsync(cancellationToken);
        var facts = await read.Receipts.GatherAsync(new ReceiptQuery(now, windowStart, SecurityReceiptsCalculator.RenewalDeadlineFraction), cancellationToken);
        var check = facts.Audit.LatestCheckpoint is { } latest ? await CheckAsync(latest, read.AuditLog, cancellationToken) : null;
        return SecurityReceiptsCalculator.Compute(ServerName, now, windowStart, facts, check);
    }

    /// <exception cref="ReceiptSigningUnavailableException">No audit-log key is configured.</exception>
    public async Task<SignedCommand> SignAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var signer = options.AuditLogSigner
            ?? throw new ReceiptSigningUnavailableException("The audit log has no signing key configured (audit.logKey in fleetward.json), so receipts cannot be signed.");
        return SignedReceipts.Sign(await ComputeAsync(window, cancellationToken), signer);
    }

    /// <summary>The note verifies with the log key (C2SP signed-note), and the stored tree still has its root at its size (RFC 9162 2.1.1).</summary>
    private async Task<ReceiptCheckpointCheck?> CheckAsync(StoredAuditCheckpoint latest, IAuditLogReader log, CancellationToken cancellationToken)
    {
        if (options.AuditLogSigner is not { } signer)
        {
            return null;
        }
        var opened = Checkpoint.Open(latest.Note, signer.VerifierKey, signer.VerifierKey.Name);
        if (!opened.IsValid)
        {
            return new ReceiptCheckpointCheck(false, $"checkpoint signature: {opened.Reason}");
        }
        var signed = opened.Checkpoint!;
        if (signed.TreeSize != latest.TreeSize || !CryptographicOperations.FixedTimeEquals(signed.RootHash, latest.RootHash))
        {
            return new ReceiptCheckpointCheck(false, $"the signed note says size {signed.TreeSize}, the stored checkpoint row says {latest.TreeSize} with another root");
        }
        byte[] root;
        try
        {
            root = await new MerkleProofBuilder(log.Nodes).RootAsync(signed.TreeSize, cancellationToken);
        }
        catch (MerkleNodeNotFoundException exception)
        {
            return new ReceiptCheckpointCheck(false, $"the stored tree is incomplete: {exception.Message}");
        }
        var match = signed.Matches(signed.TreeSize, root);
        return match.IsValid
            ? new ReceiptCheckpointCheck(true, "signature verifies with the log key and the stored tree has the signed root")
            : new ReceiptCheckpointCheck(false, match.Reason);
    }
}
