using System.Security.Cryptography;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// Checks bytes against the length and hashes metadata promises (TUF spec 5.5.2, 5.6.2, 5.7.3) while they stream in:
/// refuses as soon as the length is exceeded (endless data) and compares every listed hash at the end. Only sha256 and
/// sha512 are understood; a listed hash Fleetward cannot compute is a mismatch, never silently skipped.
/// </summary>
public sealed class TargetContentVerifier : IDisposable
{
    private readonly string _role;
    private readonly long? _expectedLength;
    private readonly IReadOnlyDictionary<string, string> _expectedHashes;
    private readonly Dictionary<string, IncrementalHash> _hashes = new(StringComparer.Ordinal);
    private long _received;

    public TargetContentVerifier(string role, long? expectedLength, IReadOnlyDictionary<string, string>? expectedHashes)
    {
        _role = role;
        _expectedLength = expectedLength;
        _expectedHashes = expectedHashes ?? new Dictionary<string, string>();
        foreach (var algorithm in _expectedHashes.Keys)
        {
            _hashes[algorithm] = algorithm switch
            {
                "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
                "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
                _ => throw new TufTrustException(TufTrustFailure.LengthOrHashMismatch, role, $"hash algorithm \"{algorithm}\" is not supported"),
            };
        }
    }

    /// <summary>Verifies a complete buffer in one call.</summary>
    public static void Verify(string role, ReadOnlySpan<byte> data, long? expectedLength, IReadOnlyDictionary<string, string>? expectedHashes)
    {
        using var verifier = new TargetContentVerifier(role, expectedLength, expectedHashes);
        verifier.Append(data);
        verifier.Complete();
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        _received += chunk.Length;
        if (_expectedLength is { } max && _received > max)
            throw new TufTrustException(TufTrustFailure.LengthOrHashMismatch, _role, $"longer than the {max} bytes the metadata promises");
        foreach (var hash in _hashes.Values) hash.AppendData(chunk);
    }

    /// <summary>Throws unless the exact length arrived and every hash matches.</summary>
    public void Complete()
    {
        if (_expectedLength is { } length && _received != length)
            throw new TufTrustException(TufTrustFailure.LengthOrHashMismatch, _role, $"is {_received} bytes, metadata promises {length}");
        foreach (var (algorithm, hash) in _hashes)
        {
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(actual),
                    System.Text.Encoding.ASCII.GetBytes(_expectedHashes[algorithm])))
                throw new TufTrustException(TufTrustFailure.LengthOrHashMismatch, _role, $"{algorithm} does not match the metadata");
        }
    }

    public void Dispose()
    {
        foreach (var hash in _hashes.Values) hash.Dispose();
    }
}
