using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Keys;

namespace Fleetward.Server.Updates;

/// <summary>A key file could not be read or opened; the message names the file.</summary>
public sealed class TufKeyFileException(string path, string problem, Exception? cause = null) : Exception($"{path}: {problem}", cause)
{
    public string Path { get; } = path;
}

/// <summary>
/// TUF signing keys at rest. A signer reference is either a PKCS#11 URI (<c>pkcs11:token=...;object=...</c>, the key
/// stays in the HSM and the PIN comes from the caller) or a PEM file: PKCS#8 <c>PRIVATE KEY</c> (mode 0600, for online
/// and development keys) or <c>ENCRYPTED PRIVATE KEY</c> (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256, for offline keys).
/// Ed25519 (RFC 8410) and ECDSA P-256 keys both use these standard containers, so <c>openssl pkey</c> can inspect them.
/// </summary>
public static class TufKeyFile
{
    public const string Ed25519Oid = "1.3.101.112";
    public const string EcPublicKeyOid = "1.2.840.10045.2.1";
    public const int DefaultIterations = EncryptedKeyFile.DefaultIterations;

    /// <summary>Generates a key: <c>ed25519</c> or <c>ecdsa</c> (P-256).</summary>
    public static TufKeyMaterial Generate(string type)
    {
        switch (type)
        {
            case "ed25519":
                var ed25519 = Ed25519TufSigner.Generate();
                return new TufKeyMaterial(ed25519, Ed25519Pkcs8(ed25519.ExportSeed()));
            case "ecdsa":
                var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return new TufKeyMaterial(new EcdsaTufSigner(ecdsa), ecdsa.ExportPkcs8PrivateKey());
            default:
                throw new ArgumentException($"the key type must be ed25519 or ecdsa, got '{type}'", nameof(type));
        }
    }

    /// <summary>The key as PKCS#8 PEM; encrypted when a passphrase is given.</summary>
    public static string ToPem(TufKeyMaterial key, ReadOnlySpan<char> passphrase = default, int iterations = DefaultIterations)
    {
        if (passphrase.IsEmpty) return PemEncoding.WriteString("PRIVATE KEY", key.Pkcs8);
        if (passphrase.IsWhiteSpace()) throw new ArgumentException("the passphrase must not be blank", nameof(passphrase));
        if (iterations < EncryptedKeyFile.MinimumIterations) throw new ArgumentOutOfRangeException(nameof(iterations), $"at least {EncryptedKeyFile.MinimumIterations} PBKDF2 iterations are required");
        return PemEncoding.WriteString(EncryptedKeyFile.PemLabel, Encrypt(key.Pkcs8, passphrase, iterations));
    }

    /// <summary>Writes a key file readable by its owner only (mode 0600), refusing to overwrite.</summary>
    public static void Write(string path, TufKeyMaterial key, ReadOnlySpan<char> passphrase = default, int iterations = DefaultIterations)
    {
        var pem = ToPem(key, passphrase, iterations);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }

    /// <summary>Opens a signer reference. <paramref name="secret"/> supplies the passphrase or PIN when one is needed.</summary>
    public static ITufSigner Open(string reference, Func<string?> secret)
    {
        if (reference.StartsWith("pkcs11:", StringComparison.Ordinal))
        {
            var pin = secret() ?? throw new TufKeyFileException(reference, "a PIN is required for the PKCS#11 key");
            var key = Pkcs11KeyStore.OpenPrivateKey(Pkcs11KeyUri.Parse(reference), pin);
            return key is ECDsa ecdsa ? new EcdsaTufSigner(ecdsa)
                : throw new TufKeyFileException(reference, "the PKCS#11 key is not an EC P-256 key");
        }
        string pem;
        try
        {
            pem = File.ReadAllText(reference);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TufKeyFileException(reference, "cannot read the key file: " + e.Message, e);
        }
        return FromPem(pem, reference, secret);
    }

    public static ITufSigner FromPem(string pem, string name, Func<string?> secret)
    {
        if (!PemEncoding.TryFind(pem, out var fields)) throw new TufKeyFileException(name, "not a PEM file");
        var label = pem[fields.Label].ToString();
        var der = Convert.FromBase64String(pem[fields.Base64Data].ToString());
        try
        {
            byte[] pkcs8;
            if (label == "PRIVATE KEY")
            {
                pkcs8 = der;
            }
            else if (label == EncryptedKeyFile.PemLabel)
            {
                var passphrase = secret() ?? throw new TufKeyFileException(name, "the key file is encrypted; a passphrase is required");
                pkcs8 = Decrypt(der, passphrase, name);
            }
            else
            {
                throw new TufKeyFileException(name, $"PEM label '{label}' is neither PRIVATE KEY nor {EncryptedKeyFile.PemLabel}");
            }
            return FromPkcs8(pkcs8, name);
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException)
        {
            throw new TufKeyFileException(name, "cannot open the key (wrong passphrase or damaged file): " + e.Message, e);
        }
    }

    private static ITufSigner FromPkcs8(byte[] pkcs8, string name)
    {
        // RFC 5958 2: OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
        var sequence = new AsnReader(pkcs8, AsnEncodingRules.DER).ReadSequence();
        sequence.ReadInteger();
        var algorithm = sequence.ReadSequence().ReadObjectIdentifier();
        var privateKey = sequence.ReadOctetString();
        switch (algorithm)
        {
            case Ed25519Oid:
                // RFC 8410 7: the private key is a CurvePrivateKey, an OCTET STRING holding the 32-byte seed.
                return Ed25519TufSigner.FromSeed(AsnDecoder.ReadOctetString(privateKey, AsnEncodingRules.DER, out _));
            case EcPublicKeyOid:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                if (ecdsa.KeySize != 256) throw new TufKeyFileException(name, $"EC keys must be P-256, this one has {ecdsa.KeySize} bits");
                return new EcdsaTufSigner(ecdsa);
            default:
                throw new TufKeyFileException(name, $"unsupported key algorithm {algorithm}; use ed25519 or ECDSA P-256");
        }
    }

    private static byte[] Ed25519Pkcs8(byte[] seed)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence()) writer.WriteObjectIdentifier(Ed25519Oid);
            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(seed);
            writer.WriteOctetString(inner.Encode());
        }
        return writer.Encode();
    }

    private const string Pbes2Oid = "1.2.840.113549.1.5.13";
    private const string Pbkdf2Oid = "1.2.840.113549.1.5.12";
    private const string HmacSha256Oid = "1.2.840.113549.2.9";
    private const string Aes256CbcOid = "2.16.840.1.101.3.4.1.42";

    /// <summary>RFC 8018 6.2.1 PBES2 encryption with PBKDF2-HMAC-SHA256 (5.2) and AES-256-CBC, as EncryptedPrivateKeyInfo (RFC 5958 3).</summary>
    private static byte[] Encrypt(byte[] pkcs8, ReadOnlySpan<char> passphrase, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase.ToArray()), salt, iterations, HashAlgorithmName.SHA256, 32);
        var encrypted = aes.EncryptCbc(pkcs8, iv, PaddingMode.PKCS7);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Pbes2Oid);
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Pbkdf2Oid);
                        using (writer.PushSequence())
                        {
                            writer.WriteOctetString(salt);
                            writer.WriteInteger(iterations);
                            using (writer.PushSequence())
                            {
                                writer.WriteObjectIdentifier(HmacSha256Oid);
                                writer.WriteNull();
                            }
                        }
                    }
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Aes256CbcOid);
                        writer.WriteOctetString(iv);
                    }
                }
            }
            writer.WriteOctetString(encrypted);
        }
        return writer.Encode();
    }

    /// <summary>RFC 8018 6.2.2 decryption; only the scheme <see cref="Encrypt"/> writes is accepted, each part checked by name before decrypting.</summary>
    private static byte[] Decrypt(byte[] der, string passphrase, string name)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var algorithm = outer.ReadSequence();
        if (algorithm.ReadObjectIdentifier() != Pbes2Oid) throw new TufKeyFileException(name, "only PBES2 encrypted keys are supported");
        var pbes2 = algorithm.ReadSequence();
        var kdf = pbes2.ReadSequence();
        if (kdf.ReadObjectIdentifier() != Pbkdf2Oid) throw new TufKeyFileException(name, "only PBKDF2 key derivation is supported");
        var kdfParams = kdf.ReadSequence();
        var salt = kdfParams.ReadOctetString();
        var iterations = (int)kdfParams.ReadInteger();
        if (iterations < EncryptedKeyFile.MinimumIterations || iterations > EncryptedKeyFile.MaximumIterations)
            throw new TufKeyFileException(name, $"PBKDF2 iteration count {iterations} is outside {EncryptedKeyFile.MinimumIterations}-{EncryptedKeyFile.MaximumIterations}");
        if (kdfParams.HasData && kdfParams.PeekTag().TagValue == (int)UniversalTagNumber.Integer) kdfParams.ReadInteger();
        if (!kdfParams.HasData || kdfParams.ReadSequence().ReadObjectIdentifier() != HmacSha256Oid)
            throw new TufKeyFileException(name, "only PBKDF2 with HMAC-SHA256 is supported");
        var scheme = pbes2.ReadSequence();
        if (scheme.ReadObjectIdentifier() != Aes256CbcOid) throw new TufKeyFileException(name, "only AES-256-CBC encryption is supported");
        var iv = scheme.ReadOctetString();
        var encrypted = outer.ReadOctetString();
        using var aes = Aes.Create();
        aes.Key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
        return aes.DecryptCbc(encrypted, iv, PaddingMode.PKCS7);
    }
}

/// <summary>A freshly generated key: its signer and its PKCS#8 encoding for the key file.</summary>
public sealed record TufKeyMaterial(ITufSigner Signer, byte[] Pkcs8);
