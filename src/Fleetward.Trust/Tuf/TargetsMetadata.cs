using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tuf;

/// <summary>Keys and ordered roles a targets role delegates to (TUF spec 4.5); order is the search priority.</summary>
public sealed record TufDelegations
{
    public required IReadOnlyDictionary<string, TufKey> Keys { get; init; }
    public required IReadOnlyList<DelegatedRole> Roles { get; init; }

    internal static TufDelegations Parse(JsonNode? node, string field)
    {
        var obj = JsonFields.Object(node, field);
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var (id, keyNode) in JsonFields.Object(obj["keys"], field + ".keys"))
            keys[id] = RootMetadata.ParseKey(keyNode, $"{field}.keys.{id}");
        var rolesJson = JsonFields.Array(obj["roles"], field + ".roles");
        var roles = new List<DelegatedRole>(rolesJson.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rolesJson.Count; i++)
        {
            var role = DelegatedRole.Parse(rolesJson[i], $"{field}.roles[{i}]");
            if (TufRoles.IsTopLevel(role.Name))
                throw new TufMetadataFormatException($"{field}.roles[{i}].name", $"\"{role.Name}\" is a top-level role name");
            if (!names.Add(role.Name))
                throw new TufMetadataFormatException($"{field}.roles[{i}].name", $"\"{role.Name}\" is delegated twice");
            roles.Add(role);
        }
        return new TufDelegations { Keys = keys, Roles = roles };
    }

    internal JsonObject ToJson()
    {
        var keys = new JsonObject();
        foreach (var (id, key) in Keys) keys[id] = key.ToJson();
        return new JsonObject { ["keys"] = keys, ["roles"] = new JsonArray(Roles.Select(r => (JsonNode?)r.ToJson()).ToArray()) };
    }
}

/// <summary>The targets role or a delegated targets role (TUF spec 4.5): the files it vouches for and whom it delegates to.</summary>
public sealed record TargetsMetadata : TufRoleMetadata, ITufRoleParser<TargetsMetadata>
{
    public static string Type => TufRoles.Targets;
    public override string RoleType => Type;

    public required IReadOnlyDictionary<string, TargetFileInfo> Targets { get; init; }
    public TufDelegations? Delegations { get; init; }

    public static TargetsMetadata FromJson(JsonObject signed)
    {
        var (version, expires, specVersion) = ReadCommon(signed, Type);
        var targets = new Dictionary<string, TargetFileInfo>(StringComparer.Ordinal);
        foreach (var (path, node) in JsonFields.Object(signed["targets"], "signed.targets"))
            targets[path] = TargetFileInfo.Parse(node, $"signed.targets.{path}");
        return new TargetsMetadata
        {
            Version = version, Expires = expires, SpecVersion = specVersion, Targets = targets,
            Delegations = signed["delegations"] is null ? null : TufDelegations.Parse(signed["delegations"], "signed.delegations"),
        };
    }

    protected override void WriteFields(JsonObject json)
    {
        var targets = new JsonObject();
        foreach (var (path, info) in Targets) targets[path] = info.ToJson();
        json["targets"] = targets;
        if (Delegations is not null) json["delegations"] = Delegations.ToJson();
    }
}
