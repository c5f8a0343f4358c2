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

    /// <summary>
    /// Reads the signer key text form of golang.org/x/mod/sumdb/note, "PRIVATE+KEY+name+hash+base64(0x01 || seed)",
    /// so keys made by Go tooling (e.g. witnesses) can be used, refusing a hash that does not match the key.
    /// </summary>
    public static Ed25519NoteSigner ParseSignerKey(string skey)
    {
        ArgumentNullException.ThrowIfNull(skey);
        var parts = skey.Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, "A signer key has the form PRIVATE+KEY+name+hash+base64(type || seed).");
        }
        var keyBytes = NoteVerifierKey.StrictBase64(parts[4], NoteError.InvalidVerifierKey, "the signer key");
        if (keyBytes.Length != 33 || keyBytes[0] != (byte)NoteSignatureType.Ed25519)
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, "The signer key must be type 0x01 (Ed25519) followed by a 32-byte seed.");
        }
        var signer = FromSeed(parts[2], keyBytes.AsSpan(1));
        if (!string.Equals(parts[3], signer.VerifierKey.KeyId.ToString("x8"), StringComparison.OrdinalIgnoreCase))
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"Signer key '{parts[2]}' claims key hash {parts[3]} but its key hashes to {signer.VerifierKey.KeyId:x8}.");
        }
        return signer;
    }

    /// <summary>The signer key text form read by <see cref="ParseSignerKey"/>; secret, for a keystore to protect.</summary>
    public string ToSignerKey()
    {
        var typed = new byte[33];
        typed[0] = (byte)NoteSignatureType.Ed25519;
        ExportSeed().CopyTo(typed, 1);
        return $"PRIVATE+KEY+{VerifierKey.Name}+{VerifierKey.KeyId:x8}+{Convert.ToBase64String(typed)}";
    }

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
