using Fleetward.Core.Access;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Access;

/// <summary>The answer of <see cref="OperatorAccessPolicy"/>: allowed, or refused with the problem type and a reason.</summary>
public sealed record AccessDecision(bool Allowed, ProblemType? Refusal, string Reason)
{
    public static AccessDecision Allow(string reason) => new(true, null, reason);

    public static AccessDecision Unauthenticated(string reason) => new(false, ProblemType.Unauthenticated, reason);

    public static AccessDecision Forbidden(string reason) => new(false, ProblemType.Forbidden, reason);
}

/// <summary>
/// Whether a token whose secret already matched may call a route requiring a role at a given
/// instant. Pure, so every rule has its own test at any time.
/// </summary>
public static class OperatorAccessPolicy
{
    public static AccessDecision Decide(ApiToken token, OperatorRole required, DateTimeOffset now)
    {
        if (token.RevokedAt is { } revokedAt && revokedAt <= now)
        {
            return AccessDecision.Unauthenticated($"token {token.Id} was revoked at {revokedAt:O}");
        }
        if (token.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            return AccessDecision.Unauthenticated($"token {token.Id} expired at {expiresAt:O}");
        }
        if (!token.Role.Satisfies(required))
        {
            return AccessDecision.Forbidden($"token {token.Id} has role {token.Role.ToName()}; this route requires {required.ToName()}");
        }
        return AccessDecision.Allow($"token {token.Id} with role {token.Role.ToName()} satisfies {required.ToName()}");
    }
}
