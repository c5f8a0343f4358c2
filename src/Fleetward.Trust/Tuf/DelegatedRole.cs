using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleetward.Trust.Tuf;

/// <summary>
/// A delegation from a targets role to another (TUF spec 4.5 "delegations"): the delegatee's keys and threshold, which
/// target paths it may speak for (shell-style <c>paths</c> or <c>path_hash_prefixes</c>), and whether the search stops
/// at it (<c>terminating</c>).
/// </summary>
public sealed record DelegatedRole
{
    public required string Name { get; init; }
    public required TufRoleKeys Keys { get; init; }
    public bool Terminating { get; init; }
    public IReadOnlyList<string>? Paths { get; init; }
    public IReadOnlyList<string>? PathHashPrefixes { get; init; }

    /// <summary>
    /// TUF spec 5.6.7.2 and 4.5: whether this role is trusted for <paramref name="targetPath"/>. A <c>paths</c> pattern matches
    /// segment by segment, <c>*</c> never crosses a <c>/</c>; a hash prefix matches the hex SHA-256 of the path.
    /// </summary>
    public bool IsDelegatedPath(string targetPath)
    {
        if (Paths is not null) return Paths.Any(pattern => PathPatternMatches(pattern, targetPath));
        if (PathHashPrefixes is not null)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(targetPath)));
            return PathHashPrefixes.Any(prefix => hash.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        }
        return false;
    }

    private static bool PathPatternMatches(string pattern, string targetPath)
    {
        var patternParts = pattern.Split('/');
        var pathParts = targetPath.Split('/');
        if (patternParts.Length != pathParts.Length) return false;
        for (var i = 0; i < patternParts.Length; i++)
            if (!SegmentMatches(patternParts[i], pathParts[i])) return false;
        return true;
    }

    private static bool SegmentMatches(string pattern, string segment)
    {
        // fnmatch semantics within one segment; the non-backtracking engine keeps hostile patterns linear.
        var regex = "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal)
            .Replace(@"\?", ".", StringComparison.Ordinal).Replace(@"\[", "[", StringComparison.Ordinal)
            .Replace(@"\]", "]", StringComparison.Ordinal).Replace("[!", "[^", StringComparison.Ordinal) + "$";
        try
        {
            return Regex.IsMatch(segment, regex, RegexOptions.NonBacktracking | RegexOptions.Singleline | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static DelegatedRole Parse(JsonNode? node, string field)
    {
        var obj = JsonFields.Object(node, field);
        var name = JsonFields.String(obj["name"], field + ".name");
        var hasPaths = obj["paths"] is not null;
        var hasPrefixes = obj["path_hash_prefixes"] is not null;
        if (hasPaths == hasPrefixes)
            throw new TufMetadataFormatException(field, "must have exactly one of \"paths\" and \"path_hash_prefixes\"");
        return new DelegatedRole
        {
            Name = name,
            Keys = TufRoleKeys.Parse(obj, field),
            Terminating = JsonFields.Bool(obj["terminating"], field + ".terminating"),
            Paths = hasPaths ? JsonFields.UniqueStrings(obj["paths"], field + ".paths") : null,
            PathHashPrefixes = hasPrefixes ? JsonFields.UniqueStrings(obj["path_hash_prefixes"], field + ".path_hash_prefixes") : null,
        };
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject { ["name"] = Name, ["terminating"] = Terminating };
        Keys.Write(obj);
        if (Paths is not null) obj["paths"] = JsonFields.StringsToJson(Paths);
        if (PathHashPrefixes is not null) obj["path_hash_prefixes"] = JsonFields.StringsToJson(PathHashPrefixes);
        return obj;
    }
}
