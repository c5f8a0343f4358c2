using System.Security.Cryptography;

namespace Fleetward.Trust.Crypto;

/// <summary>
/// An <c>ecdsa-sha2-nistp256</c> signer over any <see cref="ECDsa"/>, including an HSM-backed <c>ECDsaOpenSsl</c>.
/// Signatures are DER (RFC 3279), which is what securesystemslib and tuf-js verify.
/// </summary>
public sealed class EcdsaTufSigner : ITufSigner
{
    private readonly ECDsa _key;

    /// <summary>Wraps a P-256 key; the caller keeps ownership of <paramref name="key"/>.</summary>
    public EcdsaTufSigner(ECDsa key)
    {
        if (key.KeySize != 256) throw new ArgumentException("ecdsa-sha2-nistp256 needs a P-256 key", nameof(key));
        _key = key;
        PublicKey = TufKey.Create(TufKeyTypes.Ecdsa, TufSignatureSchemes.EcdsaSha2Nistp256,
            PemPublicKey.Encode(key.ExportSubjectPublicKeyInfo()));
    }

    public TufKey PublicKey { get; }

    public static EcdsaTufSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
}
