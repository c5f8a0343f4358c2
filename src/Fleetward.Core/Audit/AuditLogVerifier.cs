using System.Security.Cryptography;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Audit;

/// <summary>Which check of the audit log failed.</summary>
public enum AuditLogBreak
{
    /// <summary>The checkpoint is malformed or not validly signed by the log key.</summary>
    CheckpointInvalid,
    /// <summary>The previously trusted checkpoint is malformed or not signed by the log key.</summary>
    TrustedCheckpointInvalid,
    /// <summary>The log is smaller than a size it once signed: entries were removed from the end.</summary>
    LogShrank,
    /// <summary>The log's history differs from what the trusted checkpoint committed to (a fork or rewrite).</summary>
    InconsistentWithTrusted,
    /// <summary>An entry's content differs from what the log committed to.</summary>
    EntryChanged,
    /// <summary>An entry the checkpoint covers is absent.</summary>
    EntryMissing,
    /// <summary>Entries arrive out of index order or repeated.</summary>
    EntryOutOfOrder,
    /// <summary>The recomputed root differs from the checkpoint and no evidence was available to name the entry.</summary>
    RootMismatch,
    /// <summary>A check needed a proof that neither the entries nor a proof source supplied.</summary>
    ProofUnavailable,
}

/// <summary>
/// Outcome of verifying an audit log; when it fails, <see cref="Break"/> and <see cref="Reason"/> say why and
/// <see cref="FirstBrokenIndex"/> names the first entry that breaks, when it can be located.
/// </summary>
public sealed record AuditLogVerification(
    bool IsValid,
    AuditLogBreak? Break,
    string Reason,
    long? FirstBrokenIndex,
    Checkpoint? Checkpoint,
    long EntriesVerified)
{
    internal static AuditLogVerification Broken(AuditLogBreak kind, string reason, long? index = null, Checkpoint? checkpoint = null) =>
        new(false, kind, reason, index, checkpoint, 0);
}

/// <summary>What to verify: a signed checkpoint, the log key, entries in the order received, and optionally a trusted earlier checkpoint.</summary>
public sealed record AuditLogVerificationRequest(
    string CheckpointNote,
    NoteVerifierKey LogKey,
    IReadOnlyList<AuditLogEntry> Entries,
    string? TrustedCheckpointNote = null,
    IReadOnlyList<byte[]>? TrustedConsistencyProof = null);

/// <summary>
/// The pure logic behind `fleetward audit verify`, online and offline: checks the checkpoint signature, recomputes
/// the RFC 6962 root from the entries, checks consistency (RFC 9162 2.1.4) with a previously trusted checkpoint,
/// and names the first entry that was changed, removed or reordered. To name a changed entry it uses, in order:
/// stored leaf hashes (when they reproduce the signed root), bisection over prefix roots with consistency proofs
/// from <paramref name="proofSource"/> (O(log n) proofs), or per-entry inclusion proofs.
/// </summary>
public sealed class AuditLogVerifier(IAuditProofSource? proofSource = null)
{
    public async Task<AuditLogVerification> VerifyAsync(AuditLogVerificationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        // 1. The checkpoint must be signed by the log key before any of its text is believed (C2SP signed-note).
        var opened = Checkpoint.Open(request.CheckpointNote, request.LogKey);
        if (!opened.IsValid)
        {
            return AuditLogVerification.Broken(AuditLogBreak.CheckpointInvalid, $"checkpoint refused: {opened.Reason}");
        }
        var checkpoint = opened.Checkpoint!;
        var size = checkpoint.TreeSize;

        Checkpoint? trusted = null;
        if (request.TrustedCheckpointNote is not null)
        {
            var trustedOpened = Checkpoint.Open(request.TrustedCheckpointNote, request.LogKey, checkpoint.Origin);
            if (!trustedOpened.IsValid)
            {
                return AuditLogVerification.Broken(AuditLogBreak.TrustedCheckpointInvalid, $"trusted checkpoint refused: {trustedOpened.Reason}", checkpoint: checkpoint);
            }
            trusted = trustedOpened.Checkpoint!;
            if (trusted.TreeSize > size)
            {
                return AuditLogVerification.Broken(AuditLogBreak.LogShrank,
                    $"the log now signs size {size} but once signed size {trusted.TreeSize}: entries from {size} on were removed", size, checkpoint);
            }
        }

        // 2. Entries beyond the checkpoint are not covered by it and are left out.
        var entries = request.Entries.Where(e => e.Index < size).ToList();
        var first = entries.Count > 0 ? entries[0].Index : 0;
        var run = InOrderRun(entries, first);
        var structural = StructuralBreak(entries, first, run, size);
        var leafHashes = entries.Take(run).Select(e => MerkleHasher.HashLeaf(e.Leaf)).ToList();

        // 3. Content: recompute and compare, or prove each entry.
        var content = first == 0
            ? await CheckFullLog(checkpoint, entries, leafHashes, structural is null, cancellationToken).ConfigureAwait(false)
            : await CheckRange(checkpoint, entries, leafHashes, first, cancellationToken).ConfigureAwait(false);
        if (content is not null)
        {
            return content with { Checkpoint = checkpoint };
        }
        if (structural is not null)
        {
            return structural with { Checkpoint = checkpoint };
        }

        // 4. Consistency with the trusted checkpoint.
        var consistency = "";
        if (trusted is not null)
        {
            var check = await CheckTrusted(request, checkpoint, trusted, first, leafHashes, cancellationToken).ConfigureAwait(false);
            if (check is not null)
            {
                return check with { Checkpoint = checkpoint };
            }
            consistency = $"; consistent with the trusted checkpoint of size {trusted.TreeSize}";
        }

        var beyond = request.Entries.Count - entries.Count;
        var note = beyond > 0 ? $"; {beyond} entries beyond the checkpoint were not checked" : "";
        return new AuditLogVerification(true, null,
            $"{run} entries verified against the checkpoint of size {size}{consistency}{note}", null, checkpoint, run);
    }

    private static int InOrderRun(List<AuditLogEntry> entries, long first)
    {
        var run = 0;
        while (run < entries.Count && entries[run].Index == first + run)
        {
            run++;
        }
        return run;
    }

    private static AuditLogVerification? StructuralBreak(List<AuditLogEntry> entries, long first, int run, long size)
    {
        var expected = first + run;
        if (run < entries.Count)
        {
            var found = entries[run].Index;
            if (found < expected)
            {
                return AuditLogVerification.Broken(AuditLogBreak.EntryOutOfOrder,
                    $"entry {found} appears again after entry {expected - 1}; entry {expected} was expected", expected);
            }
            return entries.Skip(run + 1).Any(e => e.Index == expected)
                ? AuditLogVerification.Broken(AuditLogBreak.EntryOutOfOrder, $"entry {expected} comes after entry {found}", expected)
                : AuditLogVerification.Broken(AuditLogBreak.EntryMissing, $"entry {expected} is missing (next present entry is {found})", expected);
        }
        if (first == 0 && expected < size)
        {
            return AuditLogVerification.Broken(AuditLogBreak.EntryMissing,
                $"entry {expected} is missing: the checkpoint covers {size} entries but only {expected} were supplied", expected);
        }
        return null;
    }

    private async Task<AuditLogVerification?> CheckFullLog(Checkpoint checkpoint, List<AuditLogEntry> entries, List<byte[]> leafHashes, bool complete, CancellationToken cancellationToken)
    {
        if (complete)
        {
            var root = MerkleHasher.RootOf(leafHashes);
            if (CryptographicOperations.FixedTimeEquals(root, checkpoint.RootHash))
            {
                return null;
            }
        }
        // The root does not match, or cannot be computed because entries are missing: look for an altered
        // entry before the structural break, since the first break is the one to report.
        var changed = await LocateChange(checkpoint, entries, leafHashes, cancellationToken).ConfigureAwait(false);
        if (changed is { } index)
        {
            return AuditLogVerification.Broken(AuditLogBreak.EntryChanged,
                $"entry {index} differs from what the log committed to in the checkpoint of size {checkpoint.TreeSize}", index);
        }
        return complete
            ? AuditLogVerification.Broken(AuditLogBreak.RootMismatch,
                $"the root recomputed from {leafHashes.Count} entries differs from the checkpoint; supply stored leaf hashes, inclusion proofs or a proof source to name the entry")
            : null;
    }

    private async Task<long?> LocateChange(Checkpoint checkpoint, List<AuditLogEntry> entries, List<byte[]> leafHashes, CancellationToken cancellationToken)
    {
        var count = leafHashes.Count;
        if (count == 0)
        {
            return null;
        }

        // a. Stored leaf hashes, trusted only if together they reproduce the signed root.
        if (count == checkpoint.TreeSize && entries.Take(count).All(e => e.StoredLeafHash is { Length: MerkleHasher.HashSize }))
        {
            var stored = entries.Take(count).Select(e => e.StoredLeafHash!).ToList();
            if (CryptographicOperations.FixedTimeEquals(MerkleHasher.RootOf(stored), checkpoint.RootHash))
            {
                for (var i = 0; i < count; i++)
                {
                    if (!CryptographicOperations.FixedTimeEquals(stored[i], leafHashes[i]))
                    {
                        return i;
                    }
                }
            }
        }

        // b. Bisection over prefix sizes: prefix [0, m) is intact exactly when its locally recomputed root is
        //    consistent (RFC 9162 2.1.4) with the signed root. Intactness is monotone, so O(log n) proofs suffice.
        if (proofSource is not null)
        {
            var local = new InMemoryMerkleNodeStore();
            var tree = new CompactMerkleTree();
            foreach (var hash in leafHashes)
            {
                local.Put(tree.Append(hash));
            }
            var localRoots = new MerkleProofBuilder(local);
            async Task<bool> PrefixIntact(long m)
            {
                var proof = await proofSource.GetConsistencyProofAsync(m, checkpoint.TreeSize, cancellationToken).ConfigureAwait(false);
                var root = await localRoots.RootAsync(m, cancellationToken).ConfigureAwait(false);
                return MerkleProofs.VerifyConsistency(m, checkpoint.TreeSize, proof, root, checkpoint.RootHash).IsValid;
            }
            if (await PrefixIntact(count).ConfigureAwait(false))
            {
                return null;
            }
            long lo = 1, hi = count;
            while (lo < hi)
            {
                var mid = lo + (hi - lo) / 2;
                if (await PrefixIntact(mid).ConfigureAwait(false))
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo - 1;
        }

        // c. Per-entry inclusion proofs carried with the entries.
        if (entries.Take(count).All(e => e.InclusionProof is not null))
        {
            for (var i = 0; i < count; i++)
            {
                if (!MerkleProofs.VerifyInclusion(i, checkpoint.TreeSize, leafHashes[i], entries[i].InclusionProof!, checkpoint.RootHash).IsValid)
                {
                    return i;
                }
            }
        }
        return null;
    }

    private async Task<AuditLogVerification?> CheckRange(Checkpoint checkpoint, List<AuditLogEntry> entries, List<byte[]> leafHashes, long first, CancellationToken cancellationToken)
    {
        // A range that does not start at 0 cannot be hashed into the root; each entry is proven on its own (RFC 9162 2.1.3.2).
        for (var i = 0; i < leafHashes.Count; i++)
        {
            var index = first + i;
            var proof = entries[i].InclusionProof;
            if (proof is null && proofSource is not null)
            {
                proof = await proofSource.GetInclusionProofAsync(index, checkpoint.TreeSize, cancellationToken).ConfigureAwait(false);
            }
            if (proof is null)
            {
                return AuditLogVerification.Broken(AuditLogBreak.ProofUnavailable,
                    $"entry {index} starts a partial range and has no inclusion proof", index);
            }
            var check = MerkleProofs.VerifyInclusion(index, checkpoint.TreeSize, leafHashes[i], proof, checkpoint.RootHash);
            if (!check.IsValid)
            {
                return AuditLogVerification.Broken(AuditLogBreak.EntryChanged,
                    $"entry {index} is not the entry the log committed to: {check.Reason}", index);
            }
        }
        return null;
    }

    private async Task<AuditLogVerification?> CheckTrusted(AuditLogVerificationRequest request, Checkpoint checkpoint, Checkpoint trusted, long first, List<byte[]> leafHashes, CancellationToken cancellationToken)
    {
        var proof = request.TrustedConsistencyProof;
        if (proof is null && first == 0 && leafHashes.Count >= trusted.TreeSize)
        {
            // The entries were just verified against the signed root, so the prefix root recomputed from them is
            // the log's real root at the trusted size.
            var prefixRoot = MerkleHasher.RootOf(leafHashes.Take((int)trusted.TreeSize).ToList());
            return CryptographicOperations.FixedTimeEquals(prefixRoot, trusted.RootHash)
                ? null
                : AuditLogVerification.Broken(AuditLogBreak.InconsistentWithTrusted,
                    $"the first {trusted.TreeSize} entries no longer hash to the trusted checkpoint's root: the log was rewritten and re-signed");
        }
        if (proof is null && proofSource is not null)
        {
            proof = await proofSource.GetConsistencyProofAsync(trusted.TreeSize, checkpoint.TreeSize, cancellationToken).ConfigureAwait(false);
        }
        if (proof is null)
        {
            return AuditLogVerification.Broken(AuditLogBreak.ProofUnavailable,
                $"no consistency proof from the trusted size {trusted.TreeSize} to {checkpoint.TreeSize} is available");
        }
        var check = MerkleProofs.VerifyConsistency(trusted.TreeSize, checkpoint.TreeSize, proof, trusted.RootHash, checkpoint.RootHash);
        return check.IsValid
            ? null
            : AuditLogVerification.Broken(AuditLogBreak.InconsistentWithTrusted,
                $"the checkpoint of size {checkpoint.TreeSize} is not consistent with the trusted checkpoint of size {trusted.TreeSize}: {check.Reason}");
    }
}
