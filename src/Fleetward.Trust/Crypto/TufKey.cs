using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fleetward.Trust.Canonical;

namespace Fleetward.Trust.Crypto;

/// <summary>
/// A public key as TUF metadata lists it (spec 4.2 "KEY"): key type, signature scheme and the public value
/// (hex for ed25519, SPKI PEM for ecdsa and rsa, as securesystemslib and tuf-js encode them).
/// </summary>
/// <remarks>The key id is the SHA-256 of the canonical JSON of the key object exactly as listed, so that fields a
/// newer writer added (e.g. <c>keyid_hash_algorithms</c>) still yield that writer's id. Like python-tuf and tuf-js,
/// readers accept metadata whose listed ids differ from the computed one (some repositories use HSM key ids); threshold
/// counting is by key material, so such aliases cannot inflate a count.</remarks>
public sealed class TufKey : IEquatable<TufKey>
{
    private readonly JsonObject _json;

    private TufKey(JsonObject json, string keyType, string scheme, string publicValue)
    {
        _json = json;
        KeyType = keyType;
        Scheme = scheme;
        PublicValue = publicValue;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(json)));
        MaterialFingerprint = ComputeMaterialFingerprint(keyType, publicValue);
    }

    public string KeyType { get; }
    public string Scheme { get; }
    public string PublicValue { get; }

    /// <summary>Hex SHA-256 of the canonical key object (TUF spec 4.2, KEYID).</summary>
    public string KeyId { get; }

    /// <summary>Identity of the key material itself, so one key listed under two ids is counted once towards a threshold.</summary>
    internal string MaterialFingerprint { get; }

    /// <summary>Creates a key from its parts, e.g. for a freshly generated signer.</summary>
    public static TufKey Create(string keyType, string scheme, string publicValue)
    {
        var json = new JsonObject
        {
            ["keytype"] = keyType,
            ["scheme"] = scheme,
            ["keyval"] = new JsonObject { ["public"] = publicValue },
        };
        return new TufKey(json, keyType, scheme, publicValue);
    }

    /// <summary>Parses a key object; <paramref name="field"/> names it in errors (e.g. <c>signed.keys.abc</c>).</summary>
    public static TufKey Parse(JsonNode? node, string field)
    {
        if (node is not JsonObject obj) throw new TufKeyFormatException(field, "must be an object");
        var keyType = RequireString(obj, "keytype", field);
        var scheme = RequireString(obj, "scheme", field);
        if (obj["keyval"] is not JsonObject keyval) throw new TufKeyFormatException(field + ".keyval", "must be an object");
        var publicValue = RequireString(keyval, "public", field + ".keyval");
        return new TufKey((JsonObject)obj.DeepClone(), keyType, scheme, publicValue);
    }

    /// <summary>The key object as it appears in metadata.</summary>
    public JsonObject ToJson() => (JsonObject)_json.DeepClone();

    public bool Equals(TufKey? other) => other is not null && other.KeyId == KeyId;
    public override bool Equals(object? obj) => obj is TufKey key && Equals(key);
    public override int GetHashCode() => KeyId.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => $"{KeyType}/{Scheme} {KeyId}";

    private static string RequireString(JsonObject obj, string name, string field)
    {
        try
        {
            return obj[name]?.GetValue<string>() ?? throw new TufKeyFormatException($"{field}.{name}", "is required");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new TufKeyFormatException($"{field}.{name}", "must be a string");
        }
    }

    /// <summary>
    /// Identifies the key itself, not its encoding, so a threshold counts each distinct key once (TUF spec 4.3, 5.4.2)
    /// even when one key is listed twice in different forms (Ed25519 as hex and as PEM; ECDSA with a named or an
    /// explicit curve). ECDSA keys are identified by their public point alone: merging two listings can only lower a
    /// count, never raise it.
    /// </summary>
    private static string ComputeMaterialFingerprint(string keyType, string publicValue)
    {
        var family = TufKeyTypes.Family(keyType);
        try
        {
            byte[] material;
            if (family == TufKeyTypes.Ed25519)
            {
                material = publicValue.StartsWith("-----", StringComparison.Ordinal)
                    ? Ed25519SubjectPublicKeyInfo.ToRaw(PemPublicKey.DecodeSubjectPublicKeyInfo(publicValue))
                    : Convert.FromHexString(publicValue);
            }
            else
            {
                var spki = PemPublicKey.DecodeSubjectPublicKeyInfo(publicValue);
                material = family == TufKeyTypes.Rsa ? RsaMaterial(spki) : EcdsaMaterial(spki);
            }

            return family + ":" + Convert.ToHexStringLower(SHA256.HashData(material));
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            // Unreadable material can never verify a signature; keep it distinct per listing.
            return family + ":unreadable:" + publicValue;
        }
    }

    private static byte[] EcdsaMaterial(byte[] spki)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
        var point = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        return [.. point.X!, .. point.Y!];
    }

    private static byte[] RsaMaterial(byte[] spki)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        return [.. parameters.Modulus!, 0, .. parameters.Exponent!];
    }
}

/// <summary>Key type names as TUF metadata writes them, and the legacy aliases readers must accept.</summary>
public static class TufKeyTypes
{
    public const string Ed25519 = "ed25519";
    public const string Ecdsa = "ecdsa";
    public const string Rsa = "rsa";

    /// <summary>Maps legacy ecdsa key type names (<c>ecdsa-sha2-nistp256</c>) to <c>ecdsa</c>.</summary>
    public static string Family(string keyType) =>
        keyType.StartsWith("ecdsa", StringComparison.Ordinal) ? Ecdsa : keyType;
}

/// <summary>Signature scheme names of TUF spec 4.2 that Fleetward understands.</summary>
public static class TufSignatureSchemes
{
    public const string Ed25519 = "ed25519";
    public const string EcdsaSha2Nistp256 = "ecdsa-sha2-nistp256";
    public const string RsassaPssSha256 = "rsassa-pss-sha256";
}

/// <summary>A malformed key object; <see cref="Field"/> names the offending field.</summary>
public sealed class TufKeyFormatException(string field, string message) : Exception($"{field} {message}")
{
    public string Field { get; } = field;
}
