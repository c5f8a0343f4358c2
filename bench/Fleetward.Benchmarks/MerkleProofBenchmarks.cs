using BenchmarkDotNet.Attributes;
using Fleetward.Trust.Merkle;

namespace Fleetward.Benchmarks;

/// <summary>
/// Proof generation over a ten-million-leaf log held in the in-memory node source (the same O(log n) lookups a
/// database adapter makes), against recomputing the root of an 8-leaf tree as the same-run baseline: if proofs
/// stay within a small multiple of the baseline, proof cost does not grow with the log.
/// </summary>
[MemoryDiagnoser]
public class MerkleProofBenchmarks
{
    private const long LeafCount = 10_000_000;

    private MerkleProofBuilder _builder = null!;
    private List<byte[]> _tinyTree = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        var store = new InMemoryMerkleNodeStore();
        var tree = new CompactMerkleTree();
        Span<byte> leaf = stackalloc byte[8];
        Span<byte> hash = stackalloc byte[MerkleHasher.HashSize];
        for (long i = 0; i < LeafCount; i++)
        {
            BitConverter.TryWriteBytes(leaf, i);
            MerkleHasher.HashLeaf(leaf, hash);
            store.Put(tree.Append(hash));
        }
        _builder = new MerkleProofBuilder(store);
        _tinyTree = Enumerable.Range(0, 8).Select(i => MerkleHasher.HashLeaf(BitConverter.GetBytes(i))).ToList();
    }

    // Spread lookups over the whole tree instead of hitting one cached path.
    private long NextIndex() => _next = (_next + 7_919_993) % LeafCount;

    [Benchmark(Baseline = true)]
    public byte[] RootOfEightLeafTree() => MerkleHasher.RootOf(_tinyTree);

    [Benchmark]
    public IReadOnlyList<byte[]> InclusionProofAtTenMillion() =>
        _builder.InclusionProofAsync(NextIndex(), LeafCount).GetAwaiter().GetResult();

    [Benchmark]
    public IReadOnlyList<byte[]> ConsistencyProofToTenMillion() =>
        _builder.ConsistencyProofAsync(NextIndex() + 1, LeafCount).GetAwaiter().GetResult();
}
