using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tuf;

/// <summary>The root role (TUF spec 4.3): the anchor that lists every top-level role's keys and thresholds.</summary>
public sealed record RootMetadata : TufRoleMetadata, ITufRoleParser<RootMetadata>
{
    public static string Type => TufRoles.Root;
    public override string RoleType => Type;

    public required bool ConsistentSnapshot { get; init; }
    public required IReadOnlyDictionary<string, TufKey> Keys { get; init; }
    public required IReadOnlyDictionary<string, TufRoleKeys> Roles { get; init; }

    /// <summary>The keys and threshold of one top-level role.</summary>
    public TufRoleKeys RoleKeys(string role) =>
        Roles.TryGetValue(role, out var keys) ? keys : throw new KeyNotFoundException($"root lists no role \"{role}\"");

    /// <summary>The public keys of a role, for comparing key sets across root versions (TUF spec 5.3.11).</summary>
    public IReadOnlySet<string> RoleKeyIds(string role) => RoleKeys(role).KeyIds.ToHashSet(StringComparer.Ordinal);

    /// <summary>A root listing the given keys and thresholds for all four top-level roles.</summary>
    public static RootMetadata Create(IReadOnlyDictionary<string, TufRoleAssignment> roles, DateTimeOffset expires,
        bool consistentSnapshot = true, long version = 1)
    {
        var root = new RootMetadata
        {
            Version = version, Expires = expires, ConsistentSnapshot = consistentSnapshot,
            Keys = new Dictionary<string, TufKey>(StringComparer.Ordinal), Roles = new Dictionary<string, TufRoleKeys>(StringComparer.Ordinal),
        };
        foreach (var role in TufRoles.TopLevel)
        {
            if (!roles.TryGetValue(role, out var assignment)) throw new ArgumentException($"no keys given for role \"{role}\"", nameof(roles));
            root = root.WithRole(role, assignment);
        }
        return root;
    }

    /// <summary>A copy in which <paramref name="role"/> uses new keys and threshold; keys no role uses any more are dropped (rotation, revocation).</summary>
    public RootMetadata WithRole(string role, TufRoleAssignment assignment)
    {
        if (!TufRoles.IsTopLevel(role)) throw new ArgumentException($"\"{role}\" is not a top-level role", nameof(role));
        var roles = new Dictionary<string, TufRoleKeys>(Roles, StringComparer.Ordinal) { [role] = assignment.ToRoleKeys() };
        var keys = new Dictionary<string, TufKey>(Keys, StringComparer.Ordinal);
        foreach (var key in assignment.Keys) keys[key.KeyId] = key;
        var used = roles.Values.SelectMany(r => r.KeyIds).ToHashSet(StringComparer.Ordinal);
        foreach (var id in keys.Keys.Where(id => !used.Contains(id)).ToList()) keys.Remove(id);
        return this with { Roles = roles, Keys = keys };
    }

    public static RootMetadata FromJson(JsonObject signed)
    {
        var (version, expires, specVersion) = ReadCommon(signed, Type);
        var keysJson = JsonFields.Object(signed["keys"], "signed.keys");
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var (id, node) in keysJson) keys[id] = ParseKey(node, $"signed.keys.{id}");
        var rolesJson = JsonFields.Object(signed["roles"], "signed.roles");
        var roles = new Dictionary<string, TufRoleKeys>(StringComparer.Ordinal);
        foreach (var role in TufRoles.TopLevel)
            roles[role] = TufRoleKeys.Parse(JsonFields.Object(rolesJson[role], $"signed.roles.{role}"), $"signed.roles.{role}");
        foreach (var (role, _) in rolesJson)
            if (!roles.ContainsKey(role)) throw new TufMetadataFormatException($"signed.roles.{role}", "is not a top-level role");
        return new RootMetadata
        {
            Version = version, Expires = expires, SpecVersion = specVersion,
            ConsistentSnapshot = JsonFields.Bool(signed["consistent_snapshot"], "signed.consistent_snapshot"),
            Keys = keys, Roles = roles,
        };
    }

    protected override void WriteFields(JsonObject json)
    {
        json["consistent_snapshot"] = ConsistentSnapshot;
        var keys = new JsonObject();
        foreach (var (id, key) in Keys) keys[id] = key.ToJson();
        json["keys"] = keys;
        var roles = new JsonObject();
        foreach (var (name, roleKeys) in Roles)
        {
            var obj = new JsonObject();
            roleKeys.Write(obj);
            roles[name] = obj;
        }
        json["roles"] = roles;
    }

    internal static TufKey ParseKey(JsonNode? node, string field)
    {
        try
        {
            return TufKey.Parse(node, field);
        }
        catch (TufKeyFormatException e)
        {
            throw new TufMetadataFormatException(e.Field, e.Message[(e.Field.Length + 1)..], e);
        }
    }
}
