using System.Security.Cryptography;

namespace Fleetward.Trust.Merkle;

/// <summary>Outcome of a proof check; a refusal says which rule failed.</summary>
public sealed record MerkleProofCheck(bool IsValid, string Reason)
{
    public static MerkleProofCheck Valid { get; } = new(true, "proof verifies");

    public static MerkleProofCheck Invalid(string reason) => new(false, reason);
}

/// <summary>
/// RFC 9162 section 2.1.3 (inclusion) and 2.1.4 (consistency) proofs: which subtree ranges a proof is made of,
/// and the verification algorithms, each following the RFC's numbered steps. Pure: generation over stored
/// nodes lives in <see cref="MerkleProofBuilder"/>.
/// </summary>
public static class MerkleProofs
{
    /// <summary>
    /// RFC 9162 2.1.3.1 PATH(m, D[n]): the ranges whose hashes form the inclusion proof of leaf
    /// <paramref name="index"/> in a tree of <paramref name="size"/> leaves, ordered from the leaf up.
    /// </summary>
    public static IReadOnlyList<MerkleRange> InclusionPath(long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf index {index} is outside a tree of size {size}.");
        }
        // PATH(m, D[n]) for n > 1 with k the largest power of two < n:
        //   m < k:  PATH(m, D[0:k]) : MTH(D[k:n])
        //   m >= k: PATH(m - k, D[k:n]) : MTH(D[0:k])
        // Walking top-down collects the siblings root-first; the proof lists them leaf-first.
        var siblings = new List<MerkleRange>();
        long lo = 0, hi = size;
        while (hi - lo > 1)
        {
            var k = MerkleRange.SplitPoint(hi - lo);
            if (index < lo + k)
            {
                siblings.Add(new MerkleRange(lo + k, hi));
                hi = lo + k;
            }
            else
            {
                siblings.Add(new MerkleRange(lo, lo + k));
                lo += k;
            }
        }
        siblings.Reverse();
        return siblings;
    }

    /// <summary>
    /// RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the ranges whose hashes form the consistency
    /// proof from <paramref name="size1"/> to <paramref name="size2"/>. Empty when size1 is 0 or equals size2.
    /// </summary>
    public static IReadOnlyList<MerkleRange> ConsistencyPath(long size1, long size2)
    {
        if (size1 < 0 || size2 < size1)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"A consistency proof needs 0 <= size1 <= size2, got {size1} and {size2}.");
        }
        if (size1 == 0 || size1 == size2)
        {
            return [];
        }
        // SUBPROOF(m, D[lo:hi], b):
        //   m == hi - lo:  {} if b, else {MTH(D[lo:hi])}
        //   m <= k:        SUBPROOF(m, D[lo:lo+k], b) : MTH(D[lo+k:hi])
        //   m > k:         SUBPROOF(m - k, D[lo+k:hi], false) : MTH(D[lo:lo+k])
        var suffix = new List<MerkleRange>();
        long lo = 0, hi = size2, m = size1;
        var b = true;
        while (m != hi - lo)
        {
            var k = MerkleRange.SplitPoint(hi - lo);
            if (m <= k)
            {
                suffix.Add(new MerkleRange(lo + k, hi));
                hi = lo + k;
            }
            else
            {
                suffix.Add(new MerkleRange(lo, lo + k));
                lo += k;
                m -= k;
                b = false;
            }
        }
        var proof = new List<MerkleRange>(suffix.Count + 1);
        if (!b)
        {
            proof.Add(new MerkleRange(lo, hi));
        }
        suffix.Reverse();
        proof.AddRange(suffix);
        return proof;
    }

    /// <summary>RFC 9162 2.1.3.2: verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the tree with <paramref name="rootHash"/>.</summary>
    public static MerkleProofCheck VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> rootHash)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var computed = RootFromInclusionProof(index, size, leafHash, proof, out var failure);
        if (computed is null)
        {
            return MerkleProofCheck.Invalid(failure!);
        }
        if (rootHash.Length != MerkleHasher.HashSize)
        {
            return MerkleProofCheck.Invalid($"root hash has {rootHash.Length} bytes, expected {MerkleHasher.HashSize}");
        }
        // Step 5: compare r against the root hash.
        return CryptographicOperations.FixedTimeEquals(computed, rootHash)
            ? MerkleProofCheck.Valid
            : MerkleProofCheck.Invalid($"inclusion proof for leaf {index} does not lead to the root of tree size {size}");
    }

    /// <summary>
    /// RFC 9162 2.1.3.2 steps 1-5 without the final comparison: the root implied by the proof, or null with a
    /// reason when the proof is malformed for this index and size.
    /// </summary>
    public static byte[]? RootFromInclusionProof(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(proof);
        failure = null;
        // Step 1: leaf_index must be smaller than tree_size.
        if (index < 0 || index >= size)
        {
            failure = $"leaf index {index} is outside a tree of size {size}";
            return null;
        }
        if (leafHash.Length != MerkleHasher.HashSize)
        {
            failure = $"leaf hash has {leafHash.Length} bytes, expected {MerkleHasher.HashSize}";
            return null;
        }
        // Step 2: fn = leaf_index, sn = tree_size - 1.
        var fn = index;
        var sn = size - 1;
        // Step 3: r = hash.
        var r = leafHash.ToArray();
        // Step 4: for each p in inclusion_path.
        for (var i = 0; i < proof.Count; i++)
        {
            var p = proof[i];
            if (p is null || p.Length != MerkleHasher.HashSize)
            {
                failure = $"proof element {i} is not a {MerkleHasher.HashSize}-byte hash";
                return null;
            }
            // 4a: if sn is 0, the proof is too long.
            if (sn == 0)
            {
                failure = $"inclusion proof has {proof.Count} elements, more than the path length for leaf {index} of {size}";
                return null;
            }
            // 4b: if LSB(fn) is set or fn == sn, p is a left sibling.
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHasher.HashChildren(p, r);
                // 4b.ii: if LSB(fn) is not set, skip the levels where this node has no right sibling.
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHasher.HashChildren(r, p);
            }
            // 4c: move one level up.
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5: sn must be 0, otherwise the proof is too short.
        if (sn != 0)
        {
            failure = $"inclusion proof has {proof.Count} elements, fewer than the path length for leaf {index} of {size}";
            return null;
        }
        return r;
    }

    /// <summary>
    /// RFC 9162 2.1.4.2: verifies that the tree of <paramref name="size1"/> leaves with <paramref name="root1"/> is a
    /// prefix of the tree of <paramref name="size2"/> leaves with <paramref name="root2"/>. Trivial sizes are handled
    /// strictly: size1 == size2 needs equal roots and an empty proof; size1 == 0 needs the empty-tree root and an empty proof.
    /// </summary>
    public static MerkleProofCheck VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 < 0 || size2 < size1)
        {
            return MerkleProofCheck.Invalid($"sizes {size1} and {size2} cannot be consistent: the second tree must not be smaller");
        }
        if (root1.Length != MerkleHasher.HashSize || root2.Length != MerkleHasher.HashSize)
        {
            return MerkleProofCheck.Invalid($"root hashes must be {MerkleHasher.HashSize} bytes");
        }
        if (size1 == size2)
        {
            if (proof.Count != 0)
            {
                return MerkleProofCheck.Invalid("a proof between equal sizes must be empty");
            }
            return CryptographicOperations.FixedTimeEquals(root1, root2)
                ? MerkleProofCheck.Valid
                : MerkleProofCheck.Invalid($"two different roots for the same tree size {size1}");
        }
        if (size1 == 0)
        {
            if (proof.Count != 0)
            {
                return MerkleProofCheck.Invalid("a proof from the empty tree must be empty");
            }
            return CryptographicOperations.FixedTimeEquals(root1, MerkleHasher.EmptyRoot())
                ? MerkleProofCheck.Valid
                : MerkleProofCheck.Invalid("the root of a tree of size 0 must be the hash of the empty string");
        }
        // Step 1: an empty consistency_path fails.
        if (proof.Count == 0)
        {
            return MerkleProofCheck.Invalid($"consistency proof from {size1} to {size2} is empty");
        }
        for (var i = 0; i < proof.Count; i++)
        {
            if (proof[i] is null || proof[i].Length != MerkleHasher.HashSize)
            {
                return MerkleProofCheck.Invalid($"proof element {i} is not a {MerkleHasher.HashSize}-byte hash");
            }
        }
        // Step 2: if first is an exact power of 2, prepend first_hash.
        var path = new List<byte[]>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
        {
            path.Add(root1.ToArray());
        }
        path.AddRange(proof);
        // Step 3: fn = first - 1, sn = second - 1.
        var fn = size1 - 1;
        var sn = size2 - 1;
        // Step 4: if LSB(fn) is set, right-shift both until it is not.
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5: fr = sr = first value of the path.
        var fr = path[0];
        var sr = path[0];
        // Step 6: for each subsequent value c.
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            // 6a: if sn is 0, the proof is too long.
            if (sn == 0)
            {
                return MerkleProofCheck.Invalid($"consistency proof from {size1} to {size2} has more elements than the path");
            }
            // 6b: if LSB(fn) is set or fn == sn, c is a left sibling of both paths.
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHasher.HashChildren(c, fr);
                sr = MerkleHasher.HashChildren(c, sr);
                // 6b.iii: if LSB(fn) is not set, shift until it is or fn is 0.
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                // Otherwise c only extends the second tree.
                sr = MerkleHasher.HashChildren(sr, c);
            }
            // 6c: move one level up.
            fn >>= 1;
            sn >>= 1;
        }
        // Step 7: sn must be 0, fr must equal first_hash and sr must equal second_hash.
        if (sn != 0)
        {
            return MerkleProofCheck.Invalid($"consistency proof from {size1} to {size2} has fewer elements than the path");
        }
        if (!CryptographicOperations.FixedTimeEquals(fr, root1))
        {
            return MerkleProofCheck.Invalid($"consistency proof does not reproduce the root of size {size1}");
        }
        if (!CryptographicOperations.FixedTimeEquals(sr, root2))
        {
            return MerkleProofCheck.Invalid($"consistency proof does not reproduce the root of size {size2}");
        }
        return MerkleProofCheck.Valid;
    }
}
