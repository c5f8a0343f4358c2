using Fleetward.Core.Audit;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Tests.Audit;

public sealed class AuditLogVerifierTests
{
    private const int Count = 50;
    private readonly AuditLogFixture _log = AuditLogFixture.Create(Count);

    private AuditLogVerifier Online() => new(new MerkleNodeAuditProofSource(_log.Nodes));

    private Task<AuditLogVerification> Verify(IReadOnlyList<AuditLogEntry> entries, AuditLogVerifier? verifier = null, string? trusted = null, IReadOnlyList<byte[]>? proof = null) =>
        (verifier ?? new AuditLogVerifier()).VerifyAsync(new AuditLogVerificationRequest(_log.CheckpointNote(Count), _log.Key, entries, trusted, proof));

    [Fact]
    public async Task Honest_log_verifies()
    {
        var result = await Verify(_log.Entries());

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(Count, result.EntriesVerified);
        Assert.Equal(Count, result.Checkpoint!.TreeSize);
    }

    [Fact]
    public async Task Empty_log_verifies()
    {
        var empty = AuditLogFixture.Create(0);

        var result = await new AuditLogVerifier().VerifyAsync(new AuditLogVerificationRequest(empty.CheckpointNote(0), empty.Key, []));

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public async Task Changed_entry_is_named_by_bisection_with_a_proof_source()
    {
        var entries = _log.Entries();
        entries[17] = entries[17] with { Leaf = AuditLogFixture.Forged(17) };
        var counting = new CountingProofSource(new MerkleNodeAuditProofSource(_log.Nodes));

        var result = await Verify(entries, new AuditLogVerifier(counting));

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(17, result.FirstBrokenIndex);
        Assert.InRange(counting.ConsistencyRequests, 1, 8); // O(log 50), not one per entry
    }

    [Fact]
    public async Task Changed_entry_is_named_from_stored_leaf_hashes_offline()
    {
        var entries = _log.Entries(storedHashes: true);
        entries[31] = entries[31] with { Leaf = AuditLogFixture.Forged(31) };

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(31, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Stored_leaf_hashes_rewritten_with_the_leaf_are_not_trusted()
    {
        var entries = _log.Entries(storedHashes: true);
        entries[31] = entries[31] with { Leaf = AuditLogFixture.Forged(31), StoredLeafHash = MerkleHasher.HashLeaf(AuditLogFixture.Forged(31)) };

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.RootMismatch, result.Break);
        Assert.Null(result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Changed_entry_is_named_from_inclusion_proofs_offline()
    {
        var builder = new MerkleProofBuilder(_log.Nodes);
        var entries = new List<AuditLogEntry>();
        foreach (var entry in _log.Entries())
        {
            entries.Add(entry with { InclusionProof = await builder.InclusionProofAsync(entry.Index, Count) });
        }
        entries[5] = entries[5] with { Leaf = AuditLogFixture.Forged(5) };

        var result = await Verify(entries);

        Assert.Equal(5, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Changed_entry_without_any_evidence_is_a_root_mismatch_with_a_reason()
    {
        var entries = _log.Entries();
        entries[0] = entries[0] with { Leaf = AuditLogFixture.Forged(0) };

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.RootMismatch, result.Break);
        Assert.Contains("differs from the checkpoint", result.Reason);
    }

    [Fact]
    public async Task Deleted_entry_is_named_as_missing()
    {
        var entries = _log.Entries();
        entries.RemoveAt(23);

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.EntryMissing, result.Break);
        Assert.Equal(23, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Deleted_entry_with_renumbered_successors_is_named_as_changed()
    {
        var entries = _log.Entries();
        entries.RemoveAt(23);
        entries = entries.Select((e, i) => e with { Index = i }).ToList();

        var result = await Verify(entries, Online());

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(23, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Truncated_log_names_the_first_missing_entry()
    {
        var result = await Verify(_log.Entries().Take(45).ToList());

        Assert.Equal(AuditLogBreak.EntryMissing, result.Break);
        Assert.Equal(45, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Reordered_entries_are_named()
    {
        var entries = _log.Entries();
        (entries[17], entries[18]) = (entries[18], entries[17]);

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.EntryOutOfOrder, result.Break);
        Assert.Equal(17, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Swapped_contents_under_the_same_indexes_are_named_as_changed()
    {
        var entries = _log.Entries();
        (entries[17], entries[18]) = (entries[17] with { Leaf = entries[18].Leaf }, entries[18] with { Leaf = entries[17].Leaf });

        var result = await Verify(entries, Online());

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(17, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Duplicated_entry_is_named()
    {
        var entries = _log.Entries();
        entries.Insert(10, entries[9]);

        var result = await Verify(entries);

        Assert.Equal(AuditLogBreak.EntryOutOfOrder, result.Break);
        Assert.Equal(10, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task The_first_break_is_reported_when_a_change_precedes_a_deletion()
    {
        var entries = _log.Entries();
        entries[3] = entries[3] with { Leaf = AuditLogFixture.Forged(3) };
        entries.RemoveAt(30);

        var result = await Verify(entries, Online());

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(3, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Checkpoint_signed_by_another_key_is_refused()
    {
        var other = Ed25519NoteSigner.Generate(AuditLogFixture.Origin);
        var note = new Checkpoint(AuditLogFixture.Origin, Count, _log.Roots[Count]).Sign(other).ToString();

        var result = await new AuditLogVerifier().VerifyAsync(new AuditLogVerificationRequest(note, _log.Key, _log.Entries()));

        Assert.Equal(AuditLogBreak.CheckpointInvalid, result.Break);
        Assert.Contains("trusted key", result.Reason);
    }

    [Fact]
    public async Task Consistent_with_an_earlier_trusted_checkpoint_from_local_entries()
    {
        var result = await Verify(_log.Entries(), trusted: _log.CheckpointNote(20));

        Assert.True(result.IsValid, result.Reason);
        Assert.Contains("trusted checkpoint of size 20", result.Reason);
    }

    [Fact]
    public async Task A_rewritten_and_resigned_log_is_inconsistent_with_the_trusted_checkpoint()
    {
        var otherHistory = _log.Leaves.Take(20).Select(l => MerkleHasher.HashLeaf(l)).ToList();
        otherHistory[3] = MerkleHasher.HashLeaf(AuditLogFixture.Forged(3));
        // The same key signed a different history earlier (key compromise or a forked log).
        var trustedFromOtherHistory = new Checkpoint(AuditLogFixture.Origin, 20, MerkleHasher.RootOf(otherHistory)).Sign(_log.Signer).ToString();

        var result = await Verify(_log.Entries(), trusted: trustedFromOtherHistory);

        Assert.Equal(AuditLogBreak.InconsistentWithTrusted, result.Break);
    }

    [Fact]
    public async Task A_log_smaller_than_its_trusted_checkpoint_has_shrunk()
    {
        var trusted = new Checkpoint(AuditLogFixture.Origin, Count + 5, _log.Roots[Count]).Sign(_log.Signer).ToString();

        var result = await Verify(_log.Entries(), trusted: trusted);

        Assert.Equal(AuditLogBreak.LogShrank, result.Break);
    }

    [Fact]
    public async Task Partial_range_is_verified_with_inclusion_proofs_from_the_source()
    {
        var range = _log.Entries().Skip(10).Take(5).ToList();

        var result = await Verify(range, Online(), trusted: _log.CheckpointNote(7));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(5, result.EntriesVerified);
    }

    [Fact]
    public async Task Partial_range_with_a_changed_entry_names_it()
    {
        var range = _log.Entries().Skip(10).Take(5).ToList();
        range[2] = range[2] with { Leaf = AuditLogFixture.Forged(12) };

        var result = await Verify(range, Online());

        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(12, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Partial_range_without_proofs_is_refused_as_unprovable()
    {
        var result = await Verify(_log.Entries().Skip(10).Take(5).ToList());

        Assert.Equal(AuditLogBreak.ProofUnavailable, result.Break);
    }

    [Fact]
    public async Task Trusted_checkpoint_with_a_wrong_consistency_proof_is_refused()
    {
        var range = _log.Entries().Skip(40).ToList();
        var proof = await new MerkleProofBuilder(_log.Nodes).ConsistencyProofAsync(21, Count);

        var result = await Verify(range, Online(), trusted: _log.CheckpointNote(20), proof: proof);

        Assert.Equal(AuditLogBreak.InconsistentWithTrusted, result.Break);
    }

    [Fact]
    public async Task Every_single_changed_entry_in_logs_up_to_17_entries_is_named_exactly_by_each_locator()
    {
        for (var size = 1; size <= 17; size++)
        {
            var log = AuditLogFixture.Create(size);
            var online = new AuditLogVerifier(new MerkleNodeAuditProofSource(log.Nodes));
            var checkpoint = log.CheckpointNote(size);
            for (var changed = 0; changed < size; changed++)
            {
                var entries = log.Entries(storedHashes: true);
                entries[changed] = entries[changed] with { Leaf = AuditLogFixture.Forged(changed) };
                var withoutHashes = entries.Select(e => e with { StoredLeafHash = null }).ToList();

                var offline = await new AuditLogVerifier().VerifyAsync(new AuditLogVerificationRequest(checkpoint, log.Key, entries));
                var bisected = await online.VerifyAsync(new AuditLogVerificationRequest(checkpoint, log.Key, withoutHashes));

                Assert.Equal(changed, offline.FirstBrokenIndex);
                Assert.Equal(changed, bisected.FirstBrokenIndex);
            }
        }
    }

    private sealed class CountingProofSource(IAuditProofSource inner) : IAuditProofSource
    {
        public int ConsistencyRequests { get; private set; }

        public Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default) =>
            inner.GetInclusionProofAsync(index, treeSize, cancellationToken);

        public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default)
        {
            ConsistencyRequests++;
            return inner.GetConsistencyProofAsync(size1, size2, cancellationToken);
        }
    }
}
