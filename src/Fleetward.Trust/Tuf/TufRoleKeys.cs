using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tuf;

/// <summary>Which keys may sign for a role and how many must (TUF spec 4.3 "roles", 4.5 "delegations").</summary>
public sealed record TufRoleKeys
{
    public TufRoleKeys(IReadOnlyList<string> keyIds, int threshold)
    {
        if (threshold < 1) throw new ArgumentOutOfRangeException(nameof(threshold), "threshold must be at least 1");
        KeyIds = keyIds;
        Threshold = threshold;
    }

    public IReadOnlyList<string> KeyIds { get; }
    public int Threshold { get; }

    internal static TufRoleKeys Parse(JsonObject obj, string field) =>
        new(JsonFields.UniqueStrings(obj["keyids"], field + ".keyids"), JsonFields.Int32(obj["threshold"], field + ".threshold", 1));

    internal void Write(JsonObject obj)
    {
        obj["keyids"] = JsonFields.StringsToJson(KeyIds);
        obj["threshold"] = Threshold;
    }
}

/// <summary>Keys and threshold for a role, as a repository assigns them (the public keys themselves, not only their ids).</summary>
public sealed record TufRoleAssignment(IReadOnlyList<TufKey> Keys, int Threshold)
{
    public TufRoleKeys ToRoleKeys()
    {
        if (Threshold > Keys.Count) throw new ArgumentException($"threshold {Threshold} exceeds the {Keys.Count} keys given");
        return new TufRoleKeys(Keys.Select(k => k.KeyId).Distinct(StringComparer.Ordinal).ToList(), Threshold);
    }
}
