using System.Text.Json;
using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Canonical;

namespace Fleetward.Trust.Tuf;

/// <summary>One signature entry of a metadata file (TUF spec 4.2): the key id and the hex signature.</summary>
public sealed record TufSignature(string KeyId, string SignatureHex);

/// <summary>
/// A metadata file: the role's <c>signed</c> object and its signatures (TUF spec 4.2). Signatures are checked against
/// the canonical JSON of <c>signed</c> exactly as received, so fields Fleetward does not model still count.
/// </summary>
public sealed class SignedMetadata<T> where T : TufRoleMetadata, ITufRoleParser<T>
{
    private readonly JsonObject _signedJson;

    private SignedMetadata(T signed, JsonObject signedJson, IReadOnlyList<TufSignature> signatures)
    {
        Signed = signed;
        _signedJson = signedJson;
        Signatures = signatures;
        CanonicalSigned = CanonicalJson.Serialize(signedJson);
    }

    public T Signed { get; }
    public IReadOnlyList<TufSignature> Signatures { get; }

    /// <summary>The bytes the signatures cover.</summary>
    public ReadOnlyMemory<byte> CanonicalSigned { get; }

    /// <summary>Parses a metadata file; throws <see cref="TufMetadataFormatException"/> naming the bad field.</summary>
    public static SignedMetadata<T> Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return ParseCore(json);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json accepts escapes such as a lone surrogate ("\ud800") while parsing but throws when the
            // string is read. Metadata comes from untrusted mirrors (TUF spec 5), so this is bad input, not a bug.
            throw new TufMetadataFormatException("$", "holds a string or property name that is not valid Unicode: " + e.Message, e);
        }
    }

    private static SignedMetadata<T> ParseCore(ReadOnlySpan<byte> json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new TufMetadataFormatException("$", "is not valid JSON: " + e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new TufMetadataFormatException("$", "is not valid JSON: " + e.Message, e);
        }
        var envelope = JsonFields.Object(root, "$");
        var signedJson = JsonFields.Object(envelope["signed"], "signed");
        var signaturesJson = JsonFields.Array(envelope["signatures"], "signatures");
        var signatures = new List<TufSignature>(signaturesJson.Count);
        for (var i = 0; i < signaturesJson.Count; i++)
        {
            var entry = JsonFields.Object(signaturesJson[i], $"signatures[{i}]");
            signatures.Add(new TufSignature(JsonFields.String(entry["keyid"], $"signatures[{i}].keyid"),
                JsonFields.String(entry["sig"], $"signatures[{i}].sig")));
        }
        T signed;
        try
        {
            signed = T.FromJson(signedJson);
        }
        catch (CanonicalJsonException e)
        {
            throw new TufMetadataFormatException("signed" + e.Path.TrimStart('$'), "cannot be canonicalized: " + e.Message, e);
        }
        try
        {
            return new SignedMetadata<T>(signed, (JsonObject)signedJson.DeepClone(), signatures);
        }
        catch (CanonicalJsonException e)
        {
            throw new TufMetadataFormatException("signed" + e.Path.TrimStart('$'), "cannot be canonicalized", e);
        }
    }

    /// <summary>Signs <paramref name="signed"/> with every signer (repository side).</summary>
    public static SignedMetadata<T> Create(T signed, IEnumerable<ITufSigner> signers) =>
        new SignedMetadata<T>(signed, signed.ToJson(), []).AddSignatures(signers);

    /// <summary>A copy with one more signature per signer, replacing an earlier signature by the same key (threshold signing by several parties).</summary>
    public SignedMetadata<T> AddSignatures(IEnumerable<ITufSigner> signers)
    {
        var signatures = Signatures.ToList();
        foreach (var signer in signers)
        {
            signatures.RemoveAll(s => s.KeyId == signer.PublicKey.KeyId);
            signatures.Add(new TufSignature(signer.PublicKey.KeyId, Convert.ToHexStringLower(signer.Sign(CanonicalSigned.Span))));
        }
        return new SignedMetadata<T>(Signed, _signedJson, signatures);
    }

    /// <summary>
    /// Combines signatures two key holders made separately over the same <c>signed</c> content (an m-of-n root ceremony
    /// where each holder signs a copy offline). Throws if the contents differ.
    /// </summary>
    public SignedMetadata<T> MergeSignatures(SignedMetadata<T> other)
    {
        if (!CanonicalSigned.Span.SequenceEqual(other.CanonicalSigned.Span))
            throw new ArgumentException("the two files sign different content", nameof(other));
        var signatures = Signatures.ToList();
        foreach (var signature in other.Signatures)
            if (!signatures.Any(s => s.KeyId == signature.KeyId)) signatures.Add(signature);
        return new SignedMetadata<T>(Signed, _signedJson, signatures);
    }

    private static readonly JsonSerializerOptions FileJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The file as it is served: compact standard JSON. Not canonical JSON, which leaves control characters such as the
    /// newlines of a PEM key unescaped and so is not always valid JSON; signatures cover the canonical form of
    /// <c>signed</c> only, which readers recompute.
    /// </summary>
    public byte[] ToBytes()
    {
        var envelope = new JsonObject
        {
            ["signatures"] = new JsonArray(Signatures.Select(s => (JsonNode?)new JsonObject { ["keyid"] = s.KeyId, ["sig"] = s.SignatureHex }).ToArray()),
            ["signed"] = _signedJson.DeepClone(),
        };
        return System.Text.Encoding.UTF8.GetBytes(envelope.ToJsonString(FileJson));
    }

    /// <summary>Threshold check of these signatures against a delegator's view of the role (TUF spec 5.3.4, 5.4.2, 5.5.3, 5.6.3).</summary>
    public TufThresholdResult VerifyThreshold(TufRoleKeys role, IReadOnlyDictionary<string, TufKey> keys) =>
        TufThresholdVerifier.Verify(role, keys, Signatures, CanonicalSigned.Span);
}
