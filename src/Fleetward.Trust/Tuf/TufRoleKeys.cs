using System.Text.Json.Nodes;

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
