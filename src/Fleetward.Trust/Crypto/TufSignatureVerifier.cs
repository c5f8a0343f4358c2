using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Fleetward.Trust.Crypto;

/// <summary>
/// Verifies one signature with one TUF key for the schemes Fleetward accepts: <c>ed25519</c>, <c>ecdsa-sha2-nistp256</c>
/// (DER signature, as securesystemslib, python-tuf and tuf-js produce) and <c>rsassa-pss-sha256</c> (salt = digest length).
/// </summary>
/// <remarks>Never throws for bad keys or signatures: anything that cannot be checked is simply not a valid signature,
/// so a broken key can never help reach a threshold.</remarks>
public static class TufSignatureVerifier
{
    /// <summary>True when the scheme and key type are a pair Fleetward can verify.</summary>
    public static bool IsSupported(TufKey key) => (TufKeyTypes.Family(key.KeyType), key.Scheme) switch
    {
        (TufKeyTypes.Ed25519, TufSignatureSchemes.Ed25519) => true,
        (TufKeyTypes.Ecdsa, TufSignatureSchemes.EcdsaSha2Nistp256) => true,
        (TufKeyTypes.Rsa, TufSignatureSchemes.RsassaPssSha256) => true,
        _ => false,
    };

    public static bool Verify(TufKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return (TufKeyTypes.Family(key.KeyType), key.Scheme) switch
            {
                (TufKeyTypes.Ed25519, TufSignatureSchemes.Ed25519) => VerifyEd25519(key.PublicValue, data, signature),
                (TufKeyTypes.Ecdsa, TufSignatureSchemes.EcdsaSha2Nistp256) => VerifyEcdsaP256(key.PublicValue, data, signature),
                (TufKeyTypes.Rsa, TufSignatureSchemes.RsassaPssSha256) => VerifyRsaPss(key.PublicValue, data, signature),
                _ => false,
            };
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static bool VerifyEd25519(string publicValue, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var raw = publicValue.StartsWith("-----", StringComparison.Ordinal)
            ? Ed25519SubjectPublicKeyInfo.ToRaw(PemPublicKey.DecodeSubjectPublicKeyInfo(publicValue))
            : Convert.FromHexString(publicValue);
        if (raw.Length != Ed25519PublicKeyParameters.KeySize || signature.Length != Ed25519.SignatureSize) return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(raw, 0));
        var bytes = data.ToArray();
        verifier.BlockUpdate(bytes, 0, bytes.Length);
        return verifier.VerifySignature(signature.ToArray());
    }

    private static bool VerifyEcdsaP256(string pem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(PemPublicKey.DecodeSubjectPublicKeyInfo(pem), out _);
        if (ecdsa.KeySize != 256) return false;
        return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static bool VerifyRsaPss(string pem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(PemPublicKey.DecodeSubjectPublicKeyInfo(pem), out _);
        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    private static class Ed25519
    {
        public const int SignatureSize = 64;
    }
}

/// <summary>Ed25519 keys given as PEM (which tuf-js also accepts) wrap the 32 raw bytes in a fixed 12-byte SPKI prefix (RFC 8410 4).</summary>
internal static class Ed25519SubjectPublicKeyInfo
{
    private static readonly byte[] Prefix = Convert.FromHexString("302a300506032b6570032100");

    public static byte[] ToRaw(byte[] spki)
    {
        if (spki.Length != Prefix.Length + 32 || !spki.AsSpan(0, Prefix.Length).SequenceEqual(Prefix))
            throw new FormatException("not an Ed25519 SubjectPublicKeyInfo");
        return spki[Prefix.Length..];
    }
}
