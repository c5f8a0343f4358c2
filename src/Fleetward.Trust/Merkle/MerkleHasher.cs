using System.Buffers;
using System.Security.Cryptography;

namespace Fleetward.Trust.Merkle;

/// <summary>
/// RFC 6962 / RFC 9162 section 2.1 hashing with domain separation between leaves (0x00) and interior
/// nodes (0x01), so that a leaf can never be passed off as an interior node (second-preimage resistance).
/// </summary>
public static class MerkleHasher
{
    /// <summary>Size in bytes of every hash in the tree (SHA-256).</summary>
    public const int HashSize = 32;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;
    private const int StackLeafLimit = 1024;

    private static readonly byte[] EmptyRootHash = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>RFC 9162 2.1.1: MTH({}) = HASH(), the hash of the empty string. Returns a fresh copy.</summary>
    public static byte[] EmptyRoot() => (byte[])EmptyRootHash.Clone();

    /// <summary>RFC 9162 2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)).</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> leaf)
    {
        var hash = new byte[HashSize];
        HashLeaf(leaf, hash);
        return hash;
    }

    /// <summary>Allocation-free form of <see cref="HashLeaf(ReadOnlySpan{byte})"/>.</summary>
    public static void HashLeaf(ReadOnlySpan<byte> leaf, Span<byte> destination)
    {
        if (leaf.Length < StackLeafLimit)
        {
            Span<byte> buffer = stackalloc byte[leaf.Length + 1];
            buffer[0] = LeafPrefix;
            leaf.CopyTo(buffer[1..]);
            SHA256.HashData(buffer, destination);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(leaf.Length + 1);
        try
        {
            rented[0] = LeafPrefix;
            leaf.CopyTo(rented.AsSpan(1));
            SHA256.HashData(rented.AsSpan(0, leaf.Length + 1), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>RFC 9162 2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])).</summary>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[HashSize];
        HashChildren(left, right, hash);
        return hash;
    }

    /// <summary>Allocation-free form of <see cref="HashChildren(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    public static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        RequireHash(left, nameof(left));
        RequireHash(right, nameof(right));
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        SHA256.HashData(buffer, destination);
    }

    /// <summary>
    /// RFC 9162 2.1.1 applied to a list of leaf hashes: the root of the tree over exactly those leaves.
    /// O(n) time; meant for small trees and for auditors who hold every leaf.
    /// </summary>
    public static byte[] RootOf(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var tree = new CompactMerkleTree();
        foreach (var leafHash in leafHashes)
        {
            tree.Append(leafHash);
        }
        return tree.RootHash();
    }

    internal static void RequireHash(ReadOnlySpan<byte> hash, string name)
    {
        if (hash.Length != HashSize)
        {
            throw new ArgumentException($"{name} must be a {HashSize}-byte SHA-256 hash, got {hash.Length} bytes.", name);
        }
    }
}
