using System.Formats.Asn1;
using System.Security.Cryptography;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Keys;

/// <summary>
/// The default keystore format for CA and device keys: a PEM "ENCRYPTED PRIVATE KEY", i.e. PKCS#8
/// EncryptedPrivateKeyInfo (RFC 5958 3) with PBES2 (RFC 8018 6.2), PBKDF2-HMAC-SHA256 (RFC 8018 5.2) and
/// AES-256-CBC. It is what <c>openssl pkey</c> reads, so an operator can always recover or inspect a key with
/// standard tools. Pure: text in, text out; where the passphrase comes from (prompt, environment) is the caller's concern.
/// </summary>
public static class EncryptedKeyFile
{
    public const string PemLabel = "ENCRYPTED PRIVATE KEY";

    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Files with fewer iterations are refused on read as well as on write, so a weakened file is noticed.</summary>
    public const int MinimumIterations = 100_000;

    /// <summary>Bounds the work a crafted file can demand before the passphrase is even checked.</summary>
    public const int MaximumIterations = 10_000_000;

    private const string Pbes2Oid = "1.2.840.113549.1.5.13";
    private const string Pbkdf2Oid = "1.2.840.113549.1.5.12";
    private const string HmacSha256Oid = "1.2.840.113549.2.9";
    private const string Aes256CbcOid = "2.16.840.1.101.3.4.1.42";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    public static string Protect(AsymmetricAlgorithm key, ReadOnlySpan<char> passphrase, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (passphrase.IsWhiteSpace())
        {
            throw new ArgumentException("The passphrase must not be empty.", nameof(passphrase));
        }

        if (iterations < MinimumIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"At least {MinimumIterations} PBKDF2 iterations are required.");
        }

        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations);
        return new string(PemEncoding.Write(PemLabel, key.ExportEncryptedPkcs8PrivateKey(passphrase, parameters)));
    }

    /// <summary>
    /// Decrypts the key. The encryption scheme is checked before any decryption (RFC 8018 A.4), so files written
    /// with PBES1, 3DES, SHA-1 or few iterations are refused by name rather than silently accepted.
    /// The caller disposes the returned ECDsa or RSA.
    /// </summary>
    public static PkiResult<AsymmetricAlgorithm> Open(string pem, ReadOnlySpan<char> passphrase)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not PemLabel)
        {
            return Fail(PkiErrorCodes.KeyFormatInvalid, "keyFile", $"The key file is not a PEM '{PemLabel}' block.");
        }

        var der = Convert.FromBase64String(pem[fields.Base64Data].ToString());
        EncryptionParameters parameters;
        try
        {
            var scheme = ReadScheme(der);
            if (scheme.Error is not null)
            {
                return PkiResult<AsymmetricAlgorithm>.Failure(scheme.Error);
            }

            parameters = scheme.Parameters!;
        }
        catch (AsnContentException e)
        {
            return Fail(PkiErrorCodes.KeyFormatInvalid, "keyFile", $"The key file is not a PKCS#8 EncryptedPrivateKeyInfo: {e.Message}");
        }

        // RFC 8018 6.2.2 decryption: derive the key with PBKDF2, decrypt with AES-256-CBC, check the padding.
        var aesKey = Rfc2898DeriveBytes.Pbkdf2(passphrase, parameters.Salt, parameters.Iterations, HashAlgorithmName.SHA256, 32);
        byte[] privateKeyInfo;
        try
        {
            using var aes = Aes.Create();
            aes.Key = aesKey;
            privateKeyInfo = aes.DecryptCbc(parameters.EncryptedData, parameters.Iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            return Fail(PkiErrorCodes.KeyPassphraseWrong, "passphrase", "The passphrase does not decrypt the key file.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
        }

        try
        {
            var algorithm = ReadPrivateKeyAlgorithm(privateKeyInfo);
            AsymmetricAlgorithm key = algorithm switch
            {
                EcPublicKeyOid => ECDsa.Create(),
                RsaEncryptionOid => RSA.Create(),
                _ => throw new AsnContentException($"Key algorithm {algorithm} is not supported; the keystore holds ECDSA and RSA keys."),
            };
            try
            {
                key.ImportPkcs8PrivateKey(privateKeyInfo, out _);
            }
            catch (CryptographicException)
            {
                key.Dispose();
                throw;
            }

            return PkiResult<AsymmetricAlgorithm>.Success(key);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            // A wrong passphrase that happens to yield valid padding (about 1 in 256) lands here too.
            return Fail(PkiErrorCodes.KeyPassphraseWrong, "passphrase", $"The passphrase does not decrypt the key file to a usable key: {e.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKeyInfo);
        }
    }

    private static PkiResult<AsymmetricAlgorithm> Fail(string code, string field, string message) =>
        PkiResult<AsymmetricAlgorithm>.Failure(code, field, message);

    /// <summary>RFC 5958 3 EncryptedPrivateKeyInfo with RFC 8018 A.4 PBES2-params, A.2 PBKDF2-params.</summary>
    private static (EncryptionParameters? Parameters, PkiError? Error) ReadScheme(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var info = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var algorithm = info.ReadSequence();
        var schemeOid = algorithm.ReadObjectIdentifier();
        if (schemeOid != Pbes2Oid)
        {
            return (null, Unsupported($"Encryption scheme {schemeOid} is not PBES2 (RFC 8018 6.2)."));
        }

        var pbes2 = algorithm.ReadSequence();
        var kdf = pbes2.ReadSequence();
        var kdfOid = kdf.ReadObjectIdentifier();
        if (kdfOid != Pbkdf2Oid)
        {
            return (null, Unsupported($"Key derivation {kdfOid} is not PBKDF2 (RFC 8018 5.2)."));
        }

        var pbkdf2 = kdf.ReadSequence();
        var salt = pbkdf2.ReadOctetString();
        if (!pbkdf2.TryReadInt32(out var iterations) || iterations < MinimumIterations || iterations > MaximumIterations)
        {
            return (null, Unsupported($"The key file's PBKDF2 iteration count is outside {MinimumIterations}..{MaximumIterations}."));
        }

        if (pbkdf2.HasData && pbkdf2.PeekTag() == Asn1Tag.Integer && (!pbkdf2.TryReadInt32(out var keyLength) || keyLength != 32))
        {
            return (null, Unsupported("The PBKDF2 key length is not 32 octets (AES-256)."));
        }

        // RFC 8018 A.2: prf DEFAULT algid-hmacWithSHA1, so an absent prf means SHA-1.
        var prfOid = pbkdf2.HasData ? pbkdf2.ReadSequence().ReadObjectIdentifier() : "1.2.840.113549.2.7";
        if (prfOid != HmacSha256Oid)
        {
            return (null, Unsupported($"PBKDF2 PRF {prfOid} is not HMAC-SHA256."));
        }

        var cipher = pbes2.ReadSequence();
        var cipherOid = cipher.ReadObjectIdentifier();
        if (cipherOid != Aes256CbcOid)
        {
            return (null, Unsupported($"Cipher {cipherOid} is not AES-256-CBC."));
        }

        var iv = cipher.ReadOctetString();
        if (iv.Length != 16)
        {
            throw new AsnContentException("The AES-CBC IV is not 16 octets.");
        }

        var encrypted = info.ReadOctetString();
        info.ThrowIfNotEmpty();
        return (new EncryptionParameters(salt, iterations, iv, encrypted), null);
    }

    /// <summary>RFC 5958 2 OneAsymmetricKey: version, privateKeyAlgorithm, ...</summary>
    private static string ReadPrivateKeyAlgorithm(byte[] privateKeyInfo)
    {
        var sequence = new AsnReader(privateKeyInfo, AsnEncodingRules.DER).ReadSequence();
        sequence.ReadInteger();
        return sequence.ReadSequence().ReadObjectIdentifier();
    }

    private static PkiError Unsupported(string message) => new(PkiErrorCodes.KeyEncryptionUnsupported, "keyFile", message);

    private sealed record EncryptionParameters(byte[] Salt, int Iterations, byte[] Iv, byte[] EncryptedData);
}
