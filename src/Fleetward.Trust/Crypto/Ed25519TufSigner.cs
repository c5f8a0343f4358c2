using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Fleetward.Trust.Crypto;

/// <summary>An <c>ed25519</c> signer holding its 32-byte seed in memory (BouncyCastle; the BCL has no Ed25519).</summary>
public sealed class Ed25519TufSigner : ITufSigner
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    private Ed25519TufSigner(Ed25519PrivateKeyParameters privateKey)
    {
        _privateKey = privateKey;
        var publicHex = Convert.ToHexStringLower(privateKey.GeneratePublicKey().GetEncoded());
        PublicKey = TufKey.Create(TufKeyTypes.Ed25519, TufSignatureSchemes.Ed25519, publicHex);
    }

    public TufKey PublicKey { get; }

    public static Ed25519TufSigner Generate() => new(new Ed25519PrivateKeyParameters(new SecureRandom()));

    /// <summary>Restores a signer from its 32-byte private seed (e.g. read from a keystore).</summary>
    public static Ed25519TufSigner FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519PrivateKeyParameters.KeySize)
            throw new ArgumentException($"an Ed25519 seed is {Ed25519PrivateKeyParameters.KeySize} bytes", nameof(seed));
        return new(new Ed25519PrivateKeyParameters(seed.ToArray(), 0));
    }

    /// <summary>The private seed, for a keystore to persist.</summary>
    public byte[] ExportSeed() => _privateKey.GetEncoded();

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        var bytes = data.ToArray();
        signer.BlockUpdate(bytes, 0, bytes.Length);
        return signer.GenerateSignature();
    }
}
