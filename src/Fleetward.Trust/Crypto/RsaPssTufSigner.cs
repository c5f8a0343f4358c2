using System.Security.Cryptography;

namespace Fleetward.Trust.Crypto;

/// <summary>An <c>rsassa-pss-sha256</c> signer (MGF1-SHA256, salt = digest length), for repositories that keep RSA keys.</summary>
public sealed class RsaPssTufSigner : ITufSigner
{
    private readonly RSA _key;

    /// <summary>Wraps an RSA key of at least 2048 bits; the caller keeps ownership of <paramref name="key"/>.</summary>
    public RsaPssTufSigner(RSA key)
    {
        if (key.KeySize < 2048) throw new ArgumentException("RSA keys shorter than 2048 bits are refused", nameof(key));
        _key = key;
        PublicKey = TufKey.Create(TufKeyTypes.Rsa, TufSignatureSchemes.RsassaPssSha256,
            PemPublicKey.Encode(key.ExportSubjectPublicKeyInfo()));
    }

    public TufKey PublicKey { get; }

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
}
