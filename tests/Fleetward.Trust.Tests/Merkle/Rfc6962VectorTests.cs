using Fleetward.Trust.Merkle;

namespace Fleetward.Trust.Tests.Merkle;

public sealed class Rfc6962VectorTests
{
    private static readonly System.Text.Json.JsonElement Vectors = MerkleTestData.Load("rfc6962-vectors.json");

    [Fact]
    public void Empty_tree_hash_is_sha256_of_the_empty_string()
    {
        Assert.Equal(MerkleTestData.Hex(Vectors.GetProperty("hashes").GetProperty("emptyTree")), MerkleHasher.EmptyRoot());
    }

    [Fact]
    public void Leaf_hashes_use_the_0x00_prefix()
    {
        foreach (var leaf in Vectors.GetProperty("hashes").GetProperty("leaves").EnumerateArray())
        {
            Assert.Equal(MerkleTestData.Hex(leaf.GetProperty("hash")), MerkleHasher.HashLeaf(MerkleTestData.Hex(leaf.GetProperty("data"))));
        }
    }

    [Fact]
    public void Node_hashes_use_the_0x01_prefix()
    {
        // The reference vector hashes two 4-byte "children", so it is checked at the byte level here.
        var node = Vectors.GetProperty("hashes").GetProperty("nodes")[0];
        var input = new byte[] { 0x01 }.Concat(MerkleTestData.Hex(node.GetProperty("left"))).Concat(MerkleTestData.Hex(node.GetProperty("right"))).ToArray();
        Assert.Equal(MerkleTestData.Hex(node.GetProperty("hash")), System.Security.Cryptography.SHA256.HashData(input));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(70_000)]
    public void Leaf_hash_is_sha256_of_0x00_and_the_leaf_at_any_size(int length)
    {
        var leaf = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(new byte[] { 0 }.Concat(leaf).ToArray()), MerkleHasher.HashLeaf(leaf));
    }

    [Fact]
    public void Node_hash_refuses_children_that_are_not_hashes()
    {
        Assert.Throws<ArgumentException>(() => MerkleHasher.HashChildren(new byte[4], new byte[32]));
    }

    [Fact]
    public void Roots_for_sizes_0_to_8_match_the_reference()
    {
        var leaves = MerkleTestData.ReferenceLeafHashes();
        foreach (var root in Vectors.GetProperty("roots").EnumerateArray())
        {
            var size = root.GetProperty("treeSize").GetInt32();
            Assert.Equal(MerkleTestData.Hex(root.GetProperty("root")), MerkleHasher.RootOf(leaves.Take(size).ToList()));
        }
    }

    [Fact]
    public async Task Roots_from_stored_nodes_match_the_reference_at_every_size()
    {
        var (store, _) = await BuildReferenceStore();
        var builder = new MerkleProofBuilder(store);
        foreach (var root in Vectors.GetProperty("roots").EnumerateArray())
        {
            Assert.Equal(MerkleTestData.Hex(root.GetProperty("root")), await builder.RootAsync(root.GetProperty("treeSize").GetInt64()));
        }
    }

    [Fact]
    public async Task Inclusion_proofs_are_generated_and_verified_as_in_the_reference()
    {
        var (store, leaves) = await BuildReferenceStore();
        var builder = new MerkleProofBuilder(store);
        foreach (var vector in Vectors.GetProperty("inclusion").EnumerateArray())
        {
            var index = vector.GetProperty("leafIndex").GetInt64();
            var size = vector.GetProperty("treeSize").GetInt64();
            var expected = MerkleTestData.HexList(vector.GetProperty("proof"));
            var root = MerkleTestData.Hex(Vectors.GetProperty("roots")[(int)size].GetProperty("root"));

            Assert.Equal(expected, await builder.InclusionProofAsync(index, size));
            var check = MerkleProofs.VerifyInclusion(index, size, leaves[(int)index], expected, root);
            Assert.True(check.IsValid, check.Reason);
        }
    }

    [Fact]
    public async Task Consistency_proofs_are_generated_and_verified_as_in_the_reference()
    {
        var (store, _) = await BuildReferenceStore();
        var builder = new MerkleProofBuilder(store);
        foreach (var vector in Vectors.GetProperty("consistency").EnumerateArray())
        {
            var size1 = vector.GetProperty("size1").GetInt64();
            var size2 = vector.GetProperty("size2").GetInt64();
            var expected = MerkleTestData.HexList(vector.GetProperty("proof"));
            var root1 = MerkleTestData.Hex(Vectors.GetProperty("roots")[(int)size1].GetProperty("root"));
            var root2 = MerkleTestData.Hex(Vectors.GetProperty("roots")[(int)size2].GetProperty("root"));

            Assert.Equal(expected, await builder.ConsistencyProofAsync(size1, size2));
            var check = MerkleProofs.VerifyConsistency(size1, size2, expected, root1, root2);
            Assert.True(check.IsValid, $"{size1}->{size2}: {check.Reason}");
        }
    }

    private static async Task<(InMemoryMerkleNodeStore Store, List<byte[]> Leaves)> BuildReferenceStore()
    {
        var leaves = MerkleTestData.ReferenceLeafHashes();
        var store = new InMemoryMerkleNodeStore();
        var tree = new CompactMerkleTree();
        foreach (var leaf in leaves)
        {
            await store.PutNodesAsync(tree.Append(leaf));
        }
        return (store, leaves);
    }
}
