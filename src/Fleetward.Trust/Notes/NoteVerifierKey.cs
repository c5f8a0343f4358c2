using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Fleetward.Trust.Notes;

/// <summary>Signature type identifier bytes assigned by C2SP signed-note, section "Signature types".</summary>
public enum NoteSignatureType : byte
{
    /// <summary>0x01: Ed25519 (RFC 8032) over the note text.</summary>
    Ed25519 = 0x01,
    /// <summary>0x02: ECDSA over SHA-256 of the note text, ASN.1 DER signature, as in github.com/transparency-dev/witness and Sigstore Rekor.</summary>
    EcdsaSha256 = 0x02,
}

/// <summary>
/// A public key trusted to sign notes, in the vkey text form "name+hash+base64(type || public key)" used by
/// golang.org/x/mod/sumdb/note and transparency-dev: the form operators pin in configuration.
/// </summary>
public sealed class NoteVerifierKey
{
    private readonly byte[] _publicKey;

    private NoteVerifierKey(string name, uint keyId, NoteSignatureType type, byte[] publicKey)
    {
        Name = name;
        KeyId = keyId;
        Type = type;
        _publicKey = publicKey;
    }

    /// <summary>Key name as it appears in signature lines; for a log, normally its origin.</summary>
    public string Name { get; }

    /// <summary>The 32-bit key ID that prefixes every signature by this key.</summary>
    public uint KeyId { get; }

    public NoteSignatureType Type { get; }

    /// <summary>Ed25519: the 32-byte public key; ECDSA: the DER SubjectPublicKeyInfo.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>C2SP signed-note, Ed25519 signatures: key ID = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4].</summary>
    public static NoteVerifierKey ForEd25519(string name, ReadOnlySpan<byte> publicKey)
    {
        RequireValidName(name);
        if (publicKey.Length != 32)
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"An Ed25519 public key has 32 bytes, got {publicKey.Length}.");
        }
        return new NoteVerifierKey(name, Ed25519KeyId(name, publicKey), NoteSignatureType.Ed25519, publicKey.ToArray());
    }

    /// <summary>
    /// C2SP signed-note, type 0x02: key ID = SHA-256(DER SubjectPublicKeyInfo)[:4] (the name is not hashed);
    /// the curve must be P-256, P-384 or P-521.
    /// </summary>
    public static NoteVerifierKey ForEcdsa(string name, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        RequireValidName(name);
        ImportEcdsa(subjectPublicKeyInfo).Dispose();
        var id = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(subjectPublicKeyInfo));
        return new NoteVerifierKey(name, id, NoteSignatureType.EcdsaSha256, subjectPublicKeyInfo.ToArray());
    }

    /// <summary>Parses "name+hash+base64(type || key)", refusing unknown types and a hash that does not match the key.</summary>
    public static NoteVerifierKey Parse(string vkey)
    {
        ArgumentNullException.ThrowIfNull(vkey);
        var parts = vkey.Split('+', 3);
        if (parts.Length != 3)
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"A verifier key has three '+'-separated parts (name, hash, key), got {parts.Length}.");
        }
        var (name, hashText, keyText) = (parts[0], parts[1], parts[2]);
        RequireValidName(name);
        if (hashText.Length != 8 || !uint.TryParse(hashText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var claimedId))
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"The key hash of verifier key '{name}' must be 8 hex digits, got '{hashText}'.");
        }
        var keyBytes = StrictBase64(keyText, NoteError.InvalidVerifierKey, $"the key of verifier key '{name}'");
        if (keyBytes.Length < 2)
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"The key of verifier key '{name}' is too short.");
        }
        var key = keyBytes.AsSpan(1);
        var parsed = (NoteSignatureType)keyBytes[0] switch
        {
            NoteSignatureType.Ed25519 => ForEd25519(name, key),
            NoteSignatureType.EcdsaSha256 => ForEcdsa(name, key),
            _ => throw new NoteFormatException(NoteError.InvalidVerifierKey, $"Verifier key '{name}' has signature type 0x{keyBytes[0]:x2}, which is not supported (0x01 Ed25519, 0x02 ECDSA)."),
        };
        if (parsed.KeyId != claimedId)
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"Verifier key '{name}' claims key hash {claimedId:x8} but its key hashes to {parsed.KeyId:x8}.");
        }
        return parsed;
    }

    /// <summary>Checks <paramref name="signature"/> (without the 4-byte key ID) over <paramref name="message"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        switch (Type)
        {
            case NoteSignatureType.Ed25519:
                {
                    if (signature.Length != 64)
                    {
                        return false;
                    }
                    var verifier = new Ed25519Signer();
                    verifier.Init(false, new Ed25519PublicKeyParameters(_publicKey, 0));
                    var bytes = message.ToArray();
                    verifier.BlockUpdate(bytes, 0, bytes.Length);
                    return verifier.VerifySignature(signature.ToArray());
                }
            case NoteSignatureType.EcdsaSha256:
                {
                    using var ecdsa = ImportEcdsa(_publicKey);
                    var digest = SHA256.HashData(message);
                    return ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
                }
            default:
                return false;
        }
    }

    /// <summary>The vkey text form.</summary>
    public override string ToString()
    {
        var typed = new byte[1 + _publicKey.Length];
        typed[0] = (byte)Type;
        _publicKey.CopyTo(typed, 1);
        return $"{Name}+{KeyId:x8}+{Convert.ToBase64String(typed)}";
    }

    internal static uint Ed25519KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = (byte)NoteSignatureType.Ed25519;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>C2SP signed-note, Format: key names are non-empty and contain no Unicode spaces and no '+'.</summary>
    internal static void RequireValidName(string name)
    {
        if (!IsValidName(name))
        {
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"Key name '{name}' must be non-empty and contain no spaces, '+' or control characters.");
        }
    }

    internal static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && !name.Any(c => char.IsWhiteSpace(c) || c == '+' || char.IsControl(c));

    internal static byte[] StrictBase64(string text, NoteError error, string what)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new NoteFormatException(error, $"{Capitalise(what)} is not valid base64.");
        }
        // RFC 4648 section 4 base64, canonical: no whitespace or stray padding that Convert tolerates.
        if (Convert.ToBase64String(bytes) != text)
        {
            throw new NoteFormatException(error, $"{Capitalise(what)} is not canonical base64.");
        }
        return bytes;
    }

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static ECDsa ImportEcdsa(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length)
            {
                throw new NoteFormatException(NoteError.InvalidVerifierKey, "The ECDSA public key has trailing bytes after its SubjectPublicKeyInfo.");
            }
            var curve = ecdsa.ExportParameters(false).Curve;
            if (!curve.IsNamed || curve.Oid.Value is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35"))
            {
                throw new NoteFormatException(NoteError.InvalidVerifierKey, "ECDSA note keys must be on NIST P-256, P-384 or P-521 (C2SP signed-note, type 0x02).");
            }
            return ecdsa;
        }
        catch (CryptographicException e)
        {
            ecdsa.Dispose();
            throw new NoteFormatException(NoteError.InvalidVerifierKey, $"The ECDSA public key is not a valid SubjectPublicKeyInfo: {e.Message}");
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }
}
