namespace Fleetward.Core.Access;

/// <summary>What an operator token may do; each operator route names the least role it needs.</summary>
public enum OperatorRole
{
    Auditor = 0,
    Provisioner = 1,
    Operator = 2,
    ReleaseManager = 3,
    Admin = 4,
}

/// <summary>An operator API token as stored: only the SHA-256 of the secret is kept.</summary>
public sealed record ApiToken(
    string Id,
    string Name,
    OperatorRole Role,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt);

/// <summary>Stable text names of operator roles, as stored, typed on the command line and shown in the API.</summary>
public static class OperatorRoleNames
{
    public static IReadOnlyList<string> All { get; } = ["auditor", "provisioner", "operator", "release-manager", "admin"];

    public static string ToName(this OperatorRole role) => role switch
    {
        OperatorRole.Auditor => "auditor",
        OperatorRole.Provisioner => "provisioner",
        OperatorRole.Operator => "operator",
        OperatorRole.ReleaseManager => "release-manager",
        OperatorRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static bool TryParse(string? name, out OperatorRole role)
    {
        switch (name)
        {
            case "auditor": role = OperatorRole.Auditor; return true;
            case "provisioner": role = OperatorRole.Provisioner; return true;
            case "operator": role = OperatorRole.Operator; return true;
            case "release-manager": role = OperatorRole.ReleaseManager; return true;
            case "admin": role = OperatorRole.Admin; return true;
            default: role = default; return false;
        }
    }
}
