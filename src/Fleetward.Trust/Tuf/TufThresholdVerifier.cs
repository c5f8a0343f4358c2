using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tuf;

/// <summary>How many distinct authorized keys produced a valid signature, against how many were required.</summary>
public sealed record TufThresholdResult(int Threshold, IReadOnlyList<string> ValidKeyIds)
{
    public bool IsMet => ValidKeyIds.Count >= Threshold;
}

/// <summary>
/// Counts valid signatures towards a role's threshold (TUF spec 4.3, 5.4.2). Each authorized key id counts at most once,
/// however many signatures name it, and one key listed under two ids counts once, so a single compromised key can
/// never pass for two.
/// </summary>
public static class TufThresholdVerifier
{
    public static TufThresholdResult Verify(TufRoleKeys role, IReadOnlyDictionary<string, TufKey> keys,
        IReadOnlyList<TufSignature> signatures, ReadOnlySpan<byte> signedBytes)
    {
        var valid = new List<string>();
        var countedMaterial = new HashSet<string>(StringComparer.Ordinal);
        foreach (var keyId in role.KeyIds.Distinct(StringComparer.Ordinal))
        {
            if (!keys.TryGetValue(keyId, out var key) || countedMaterial.Contains(key.MaterialFingerprint)) continue;
            foreach (var signature in signatures)
            {
                if (signature.KeyId != keyId || !TryDecodeHex(signature.SignatureHex, out var bytes)) continue;
                if (!TufSignatureVerifier.Verify(key, signedBytes, bytes)) continue;
                valid.Add(keyId);
                countedMaterial.Add(key.MaterialFingerprint);
                break;
            }
        }
        return new TufThresholdResult(role.Threshold, valid);
    }

    private static bool TryDecodeHex(string hex, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
