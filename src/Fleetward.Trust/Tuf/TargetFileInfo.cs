using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// One target as targets metadata describes it (TUF spec 4.5 TARGETS): its exact length and hashes, which are all a
/// client needs to refuse a tampered or endless download, and opaque <c>custom</c> fields for the application.
/// </summary>
public sealed record TargetFileInfo
{
    public required long Length { get; init; }
    public required IReadOnlyDictionary<string, string> Hashes { get; init; }
    public JsonObject? Custom { get; init; }

    /// <summary>Describes content with its length and sha256 and sha512 hashes, as a repository publishes a target.</summary>
    public static TargetFileInfo FromContent(ReadOnlySpan<byte> content, JsonObject? custom = null) => new()
    {
        Length = content.Length,
        Hashes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content)),
            ["sha512"] = Convert.ToHexStringLower(SHA512.HashData(content)),
        },
        Custom = custom,
    };

    /// <summary>Describes content read from a stream (artifacts too large to buffer), hashing sha256 and sha512 in one pass.</summary>
    public static async Task<TargetFileInfo> FromStreamAsync(Stream content, JsonObject? custom = null, CancellationToken cancellationToken = default)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            sha512.AppendData(buffer, 0, read);
            length += read;
        }
        return new TargetFileInfo
        {
            Length = length,
            Hashes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["sha256"] = Convert.ToHexStringLower(sha256.GetHashAndReset()),
                ["sha512"] = Convert.ToHexStringLower(sha512.GetHashAndReset()),
            },
            Custom = custom,
        };
    }

    /// <summary>
    /// The names a target is served under: with consistent snapshots <c>DIR/HASH.NAME</c> for each listed hash (TUF spec
    /// 5.7.3), otherwise the path itself.
    /// </summary>
    public IReadOnlyList<string> RepositoryPaths(string targetPath, bool consistentSnapshot)
    {
        if (!consistentSnapshot) return [targetPath];
        var slash = targetPath.LastIndexOf('/');
        var directory = slash >= 0 ? targetPath[..(slash + 1)] : "";
        var name = targetPath[(slash + 1)..];
        return Hashes.Values.Select(hash => $"{directory}{hash}.{name}").ToList();
    }

    internal static TargetFileInfo Parse(JsonNode? node, string field)
    {
        var obj = JsonFields.Object(node, field);
        return new TargetFileInfo
        {
            Length = JsonFields.Integer(obj["length"], field + ".length", 0),
            Hashes = JsonFields.Hashes(obj["hashes"], field + ".hashes"),
            Custom = JsonFields.OptionalObject(obj, "custom", field) is { } custom ? (JsonObject)custom.DeepClone() : null,
        };
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject { ["length"] = Length, ["hashes"] = JsonFields.HashesToJson(Hashes) };
        if (Custom is not null) obj["custom"] = Custom.DeepClone();
        return obj;
    }
}
