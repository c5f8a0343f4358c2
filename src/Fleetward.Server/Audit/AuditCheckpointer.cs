using Fleetward.Core.Ports;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Audit;

/// <summary>A checkpoint as signed or found: whether this call made it.</summary>
public sealed record AuditCheckpointResult(StoredAuditCheckpoint Checkpoint, bool Created);

/// <summary>The stored tree no longer extends the last signed checkpoint; the log refuses to sign it.</summary>
public sealed class AuditLogInconsistentException(string message) : Exception(message);

/// <summary>
/// Signs the log's tree head as a C2SP tlog-checkpoint. A new checkpoint is made only when the log has grown, and
/// only after proving (RFC 9162 2.1.4) that the stored tree extends the last signed one, so the log key never signs
/// a history that contradicts what it signed before, even if the node table was altered.
/// </summary>
public sealed class AuditCheckpointer(IFleetStore store, INoteSigner signer, TimeProvider time)
{
    /// <summary>The log's origin line, which is also the key name in the signature line.</summary>
    public string Origin => signer.VerifierKey.Name;

    public NoteVerifierKey VerifierKey => signer.VerifierKey;

    /// <exception cref="AuditLogInconsistentException">The stored tree does not extend the latest checkpoint.</exception>
    public async Task<AuditCheckpointResult> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var size = await work.AuditLog.SizeAsync(cancellationToken);
        var latest = await work.AuditCheckpoints.LatestAsync(cancellationToken);
        if (latest is not null && latest.TreeSize >= size)
        {
            return new AuditCheckpointResult(latest, Created: false);
        }
        var builder = new MerkleProofBuilder(work.AuditLog.Nodes);
        var root = await builder.RootAsync(size, cancellationToken);
        if (latest is not null)
        {
            var proof = await builder.ConsistencyProofAsync(latest.TreeSize, size, cancellationToken);
            var check = MerkleProofs.VerifyConsistency(latest.TreeSize, size, proof, latest.RootHash, root);
            if (!check.IsValid)
            {
                throw new AuditLogInconsistentException(
                    $"The stored audit tree of size {size} does not extend the checkpoint of size {latest.TreeSize} ({check.Reason}); refusing to sign it.");
            }
        }
        var note = new Checkpoint(Origin, size, root).Sign(signer).ToString();
        var stored = new StoredAuditCheckpoint(size, root, note, time.GetUtcNow());
        if (!await work.AuditCheckpoints.InsertAsync(stored, cancellationToken))
        {
            // Another server replica signed this size first; a size has one root, so its checkpoint stands.
            return new AuditCheckpointResult((await work.AuditCheckpoints.GetAsync(size, cancellationToken))!, Created: false);
        }
        await work.CommitAsync(cancellationToken);
        return new AuditCheckpointResult(stored, Created: true);
    }
}
