using Fleetward.Trust.Merkle;

namespace Fleetward.Trust.Tests.Merkle;

/// <summary>Exhaustive checks over small trees: every proof the builder makes verifies, and matches a from-scratch recomputation.</summary>
public sealed class MerkleProofPropertyTests
{
    private const int MaxSize = 40;

    private static List<byte[]> Leaves(int count) =>
        Enumerable.Range(0, count).Select(i => MerkleHasher.HashLeaf(BitConverter.GetBytes(i))).ToList();

    private static async Task<InMemoryMerkleNodeStore> Store(IEnumerable<byte[]> leaves)
    {
        var store = new InMemoryMerkleNodeStore();
        var tree = new CompactMerkleTree();
        foreach (var leaf in leaves)
        {
            await store.PutNodesAsync(tree.Append(leaf));
        }
        return store;
    }

    /// <summary>RFC 9162 2.1.1 written as the recursion, to check the iterative code against.</summary>
    private static byte[] RecursiveRoot(IReadOnlyList<byte[]> leaves, int start, int end)
    {
        if (end - start == 0)
        {
            return MerkleHasher.EmptyRoot();
        }
        if (end - start == 1)
        {
            return leaves[start];
        }
        var k = 1;
        while (k * 2 < end - start)
        {
            k *= 2;
        }
        return MerkleHasher.HashChildren(RecursiveRoot(leaves, start, start + k), RecursiveRoot(leaves, start + k, end));
    }

    [Fact]
    public async Task Every_inclusion_proof_up_to_size_40_verifies_and_rejects_other_leaves()
    {
        var leaves = Leaves(MaxSize);
        var builder = new MerkleProofBuilder(await Store(leaves));
        for (var size = 1; size <= MaxSize; size++)
        {
            var root = RecursiveRoot(leaves, 0, size);
            Assert.Equal(root, await builder.RootAsync(size));
            for (var index = 0; index < size; index++)
            {
                var proof = await builder.InclusionProofAsync(index, size);
                Assert.True(MerkleProofs.VerifyInclusion(index, size, leaves[index], proof, root).IsValid, $"leaf {index} of {size}");
                var other = leaves[(index + 1) % MaxSize];
                Assert.False(MerkleProofs.VerifyInclusion(index, size, other, proof, root).IsValid);
            }
        }
    }

    [Fact]
    public async Task Every_consistency_proof_up_to_size_40_verifies()
    {
        var leaves = Leaves(MaxSize);
        var builder = new MerkleProofBuilder(await Store(leaves));
        for (var size2 = 0; size2 <= MaxSize; size2++)
        {
            var root2 = RecursiveRoot(leaves, 0, size2);
            for (var size1 = 0; size1 <= size2; size1++)
            {
                var root1 = RecursiveRoot(leaves, 0, size1);
                var proof = await builder.ConsistencyProofAsync(size1, size2);
                var check = MerkleProofs.VerifyConsistency(size1, size2, proof, root1, root2);
                Assert.True(check.IsValid, $"{size1}->{size2}: {check.Reason}");
            }
        }
    }

    [Fact]
    public async Task Consistency_proof_rejects_a_tree_whose_prefix_was_rewritten()
    {
        var leaves = Leaves(20);
        var forged = leaves.ToList();
        forged[3] = MerkleHasher.HashLeaf("forged"u8);
        var honestRoot7 = RecursiveRoot(leaves, 0, 7);
        var forgedBuilder = new MerkleProofBuilder(await Store(forged));

        var proof = await forgedBuilder.ConsistencyProofAsync(7, 20);
        var check = MerkleProofs.VerifyConsistency(7, 20, proof, honestRoot7, RecursiveRoot(forged, 0, 20));

        Assert.False(check.IsValid);
    }

    [Fact]
    public void Appending_creates_one_node_per_trailing_one_bit_plus_the_leaf()
    {
        var tree = new CompactMerkleTree();
        var total = 0;
        for (var n = 0; n < 1024; n++)
        {
            var created = tree.Append(MerkleHasher.HashLeaf(BitConverter.GetBytes(n)));
            Assert.Equal(1 + System.Numerics.BitOperations.TrailingZeroCount(~(uint)n), created.Count);
            Assert.Equal(new MerkleNodeId(0, n), created[0].Id);
            total += created.Count;
        }
        // A perfect tree of 1024 leaves has 2047 nodes: amortised two new nodes per append.
        Assert.Equal(2047, total);
    }

    [Fact]
    public async Task A_tree_loaded_from_its_frontier_continues_exactly_like_the_original()
    {
        var leaves = Leaves(37);
        var store = await Store(leaves.Take(23));
        var resumed = await CompactMerkleTree.LoadAsync(store, 23);
        Assert.Equal(RecursiveRoot(leaves, 0, 23), resumed.RootHash());

        foreach (var leaf in leaves.Skip(23))
        {
            await store.PutNodesAsync(resumed.Append(leaf));
        }

        Assert.Equal(RecursiveRoot(leaves, 0, 37), resumed.RootHash());
        Assert.Equal(RecursiveRoot(leaves, 0, 37), await new MerkleProofBuilder(store).RootAsync(37));
    }

    [Fact]
    public async Task Proofs_need_only_logarithmically_many_node_lookups_in_one_batch()
    {
        var store = await Store(Leaves(1000));
        var counting = new CountingSource(store);
        var builder = new MerkleProofBuilder(counting);

        await builder.InclusionProofAsync(517, 1000);
        Assert.Equal(1, counting.Batches);
        Assert.InRange(counting.Nodes, 1, 2 * 10);

        counting.Reset();
        await builder.ConsistencyProofAsync(333, 1000);
        Assert.Equal(1, counting.Batches);
        Assert.InRange(counting.Nodes, 1, 2 * 10);
    }

    [Fact]
    public async Task A_missing_node_is_reported_by_its_address()
    {
        var builder = new MerkleProofBuilder(await Store(Leaves(4)));

        var missing = await Assert.ThrowsAsync<MerkleNodeNotFoundException>(() => builder.InclusionProofAsync(5, 6));

        Assert.Equal(new MerkleNodeId(0, 4), missing.Id);
    }

    [Fact]
    public void Store_refuses_to_overwrite_a_node_with_a_different_hash()
    {
        var store = new InMemoryMerkleNodeStore();
        store.Put([new MerkleNode(new MerkleNodeId(0, 0), MerkleHasher.HashLeaf("a"u8))]);
        store.Put([new MerkleNode(new MerkleNodeId(0, 0), MerkleHasher.HashLeaf("a"u8))]);

        Assert.Throws<InvalidOperationException>(() => store.Put([new MerkleNode(new MerkleNodeId(0, 0), MerkleHasher.HashLeaf("b"u8))]));
    }

    [Fact]
    public void Store_refuses_nodes_that_skip_ahead()
    {
        var store = new InMemoryMerkleNodeStore();

        Assert.Throws<InvalidOperationException>(() => store.Put([new MerkleNode(new MerkleNodeId(0, 1), MerkleHasher.HashLeaf("a"u8))]));
    }

    [Fact]
    public void Range_decomposes_into_aligned_perfect_subtrees_largest_first()
    {
        Assert.Equal([new MerkleNodeId(2, 1), new MerkleNodeId(1, 4), new MerkleNodeId(0, 10)], new MerkleRange(4, 11).PerfectSubtrees());
    }

    [Fact]
    public void Proof_paths_refuse_impossible_sizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleProofs.InclusionPath(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleProofs.ConsistencyPath(5, 4));
    }

    private sealed class CountingSource(IMerkleNodeSource inner) : IMerkleNodeSource
    {
        public int Batches { get; private set; }
        public int Nodes { get; private set; }

        public void Reset() => (Batches, Nodes) = (0, 0);

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
        {
            Batches++;
            Nodes += ids.Count;
            return inner.GetNodesAsync(ids, cancellationToken);
        }
    }
}
