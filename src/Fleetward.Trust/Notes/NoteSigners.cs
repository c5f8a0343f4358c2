using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Fleetward.Trust.Notes;

/// <summary>
/// Something that signs note text with one key. Behind an interface so the log key can live in a file keystore,
/// a PKCS#11 HSM (an ECDsa from an OpenSSL engine handle) or a remote signer, while note code stays the same.
/// </summary>
public interface INoteSigner
{
    /// <summary>The public half, which also carries the key name and key ID written into the signature line.</summary>
    NoteVerifierKey VerifierKey { get; }

    /// <summary>The raw signature over <paramref name="message"/>, without the key ID prefix.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}

/// <summary>Ed25519 note signer (C2SP signed-note type 0x01) over a 32-byte RFC 8032 seed, via BouncyCastle.</summary>
public sealed class Ed25519NoteSigner : INoteSigner
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    private Ed25519NoteSigner(string name, Ed25519PrivateKeyParameters privateKey)
    {
        _privateKey = privateKey;
        VerifierKey = NoteVerifierKey.ForEd25519(name, privateKey.GeneratePublicKey().GetEncoded());
    }

    public NoteVerifierKey VerifierKey { get; }

    /// <summary>A signer for the key with RFC 8032 seed <paramref name="seed"/> (32 bytes), e.g. read from a keystore.</summary>
    public static Ed25519NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException($"An Ed25519 seed has 32 bytes, got {seed.Length}.", nameof(seed));
        }
        return new Ed25519NoteSigner(name, new Ed25519PrivateKeyParameters(seed.ToArray(), 0));
    }

    /// <summary>A fresh key from the system CSPRNG.</summary>
    public static Ed25519NoteSigner Generate(string name) => new(name, new Ed25519PrivateKeyParameters(new SecureRandom()));

    /// <summary>The seed, for a keystore to persist; callers must protect it.</summary>
    public byte[] ExportSeed() => _privateKey.GetEncoded();

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        var bytes = message.ToArray();
        signer.BlockUpdate(bytes, 0, bytes.Length);
        return signer.GenerateSignature();
    }
}

/// <summary>
/// ECDSA note signer (C2SP signed-note type 0x02: SHA-256 digest, ASN.1 DER signature, key ID over the SPKI).
/// Takes any <see cref="ECDsa"/>, so an HSM-backed ECDsaOpenSsl works unchanged. Does not own the key.
/// </summary>
public sealed class EcdsaNoteSigner : INoteSigner
{
    private readonly ECDsa _key;

    public EcdsaNoteSigner(string name, ECDsa key)
    {
        _key = key ?? throw new ArgumentNullException(nameof(key));
        VerifierKey = NoteVerifierKey.ForEcdsa(name, key.ExportSubjectPublicKeyInfo());
    }

    public NoteVerifierKey VerifierKey { get; }

    public byte[] Sign(ReadOnlySpan<byte> message) =>
        _key.SignHash(SHA256.HashData(message), DSASignatureFormat.Rfc3279DerSequence);
}
