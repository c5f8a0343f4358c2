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
