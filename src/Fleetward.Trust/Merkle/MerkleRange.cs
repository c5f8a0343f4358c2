using System.Numerics;

namespace Fleetward.Trust.Merkle;

/// <summary>
/// The leaves [Start, End) of a subtree as RFC 9162 2.1.1 splits it: a run of perfect subtrees whose sizes are
/// the binary digits of its size, largest first. Proof elements are hashes of such ranges, which is why a proof
/// at any tree size needs only O(log n) stored nodes.
/// </summary>
public readonly record struct MerkleRange
{
    public MerkleRange(long start, long end)
    {
        if (start < 0 || end <= start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), $"A Merkle range needs 0 <= start < end, got [{start}, {end}).");
        }
        Start = start;
        End = end;
    }

    public long Start { get; }
    public long End { get; }
    public long Size => End - Start;

    /// <summary>
    /// RFC 9162 2.1.1: MTH(D[a:b]) splits at k, the largest power of two smaller than b - a, so its left part is
    /// perfect and its right part recurses; unrolled, the range is perfect subtrees of decreasing size.
    /// Throws when a piece would not be aligned, which never happens for ranges that RFC proofs produce.
    /// </summary>
    public IReadOnlyList<MerkleNodeId> PerfectSubtrees()
    {
        var nodes = new List<MerkleNodeId>(BitOperations.PopCount((ulong)Size));
        var at = Start;
        for (var level = 63 - BitOperations.LeadingZeroCount((ulong)Size); level >= 0; level--)
        {
            if ((Size & (1L << level)) == 0)
            {
                continue;
            }
            if ((at & ((1L << level) - 1)) != 0)
            {
                throw new InvalidOperationException($"Range [{Start}, {End}) is not aligned to perfect subtrees at leaf {at}.");
            }
            nodes.Add(new MerkleNodeId(level, at >> level));
            at += 1L << level;
        }
        return nodes;
    }

    /// <summary>Folds the hashes of <see cref="PerfectSubtrees"/> (same order) into MTH(D[Start:End]), right to left.</summary>
    public static byte[] Fold(IReadOnlyList<byte[]> perfectSubtreeHashes)
    {
        if (perfectSubtreeHashes.Count == 0)
        {
            throw new ArgumentException("A non-empty range has at least one perfect subtree.", nameof(perfectSubtreeHashes));
        }
        var hash = perfectSubtreeHashes[^1];
        MerkleHasher.RequireHash(hash, nameof(perfectSubtreeHashes));
        for (var i = perfectSubtreeHashes.Count - 2; i >= 0; i--)
        {
            hash = MerkleHasher.HashChildren(perfectSubtreeHashes[i], hash);
        }
        return hash;
    }

    /// <summary>The largest power of two strictly smaller than <paramref name="n"/> (n &gt; 1), the split point k of RFC 9162 2.1.1.</summary>
    internal static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    public override string ToString() => $"[{Start}, {End})";
}
