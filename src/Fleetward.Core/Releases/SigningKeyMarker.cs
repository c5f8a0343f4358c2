using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Core.Releases;

/// <summary>
/// Marks a TUF public key as a test or development key by a field inside its <c>keyval</c> object. The field is part of
/// the key object, so it is covered by the key id (TUF spec 4.2: the id is the hash of the canonical key object) and by
/// root's signatures: nobody can strip or add the marker without changing the key id the root lists. Keys without the
/// field are production keys. Standard TUF clients ignore the extra field.
/// </summary>
public static class SigningKeyMarker
{
    public const string Field = "x-fleetward-key-class";

    public static SigningKeyClass ClassOf(TufKey key)
    {
        var value = key.ToJson()["keyval"]?[Field]?.GetValue<string>();
        return value is null ? SigningKeyClass.Production
            : ReleaseSigningPolicy.TryParseClass(value, out var parsed) ? parsed
            : throw new TufKeyFormatException("keyval." + Field, $"is '{value}', not production, test or development");
    }

    /// <summary>The same key material listed with a class marker (production keys carry none).</summary>
    public static TufKey Mark(TufKey key, SigningKeyClass keyClass)
    {
        var json = key.ToJson();
        var keyval = (JsonObject)json["keyval"]!;
        keyval.Remove(Field);
        if (keyClass != SigningKeyClass.Production) keyval[Field] = ReleaseSigningPolicy.Name(keyClass);
        return TufKey.Parse(json, "key");
    }

    /// <summary>
    /// The class a targets role's signature vouches with: the lowest class among the keys its delegator lists for it
    /// (a role whose keys include any test key can be satisfied by test keys alone, so it counts as test).
    /// </summary>
    public static SigningKeyClass RoleClass(TufRoleKeys roleKeys, IReadOnlyDictionary<string, TufKey> keys)
    {
        var result = SigningKeyClass.Production;
        foreach (var id in roleKeys.KeyIds)
        {
            if (!keys.TryGetValue(id, out var key)) continue;
            var keyClass = ClassOf(key);
            if (keyClass > result) result = keyClass;
        }
        return result;
    }
}

/// <summary>An <see cref="ITufSigner"/> whose listed public key carries a <see cref="SigningKeyMarker"/> class.</summary>
public sealed class MarkedTufSigner(ITufSigner inner, SigningKeyClass keyClass) : ITufSigner
{
    public TufKey PublicKey { get; } = SigningKeyMarker.Mark(inner.PublicKey, keyClass);

    public SigningKeyClass Class { get; } = keyClass;

    public byte[] Sign(ReadOnlySpan<byte> data) => inner.Sign(data);
}
