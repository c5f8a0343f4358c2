using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Tests.Access;

public sealed class OperatorAccessPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static ApiToken Token(OperatorRole role, DateTimeOffset? expiresAt = null, DateTimeOffset? revokedAt = null) =>
        new("0123456789abcdef", "t", role, new byte[32], Now.AddDays(-1), expiresAt, revokedAt, null);

    [Fact]
    public void A_live_token_with_a_sufficient_role_is_allowed() =>
        Assert.True(OperatorAccessPolicy.Decide(Token(OperatorRole.Operator), OperatorRole.Auditor, Now).Allowed);

    [Fact]
    public void An_insufficient_role_is_forbidden()
    {
        var decision = OperatorAccessPolicy.Decide(Token(OperatorRole.Auditor), OperatorRole.Operator, Now);
        Assert.False(decision.Allowed);
        Assert.Equal(ProblemType.Forbidden, decision.Refusal);
        Assert.Contains("requires operator", decision.Reason);
    }

    [Fact]
    public void An_expired_token_is_unauthenticated_from_the_instant_of_expiry()
    {
        Assert.True(OperatorAccessPolicy.Decide(Token(OperatorRole.Admin, expiresAt: Now.AddTicks(1)), OperatorRole.Admin, Now).Allowed);
        var decision = OperatorAccessPolicy.Decide(Token(OperatorRole.Admin, expiresAt: Now), OperatorRole.Admin, Now);
        Assert.Equal(ProblemType.Unauthenticated, decision.Refusal);
        Assert.Contains("expired", decision.Reason);
    }

    [Fact]
    public void A_revoked_token_is_unauthenticated_even_with_the_right_role()
    {
        var decision = OperatorAccessPolicy.Decide(Token(OperatorRole.Admin, revokedAt: Now.AddSeconds(-1)), OperatorRole.Auditor, Now);
        Assert.Equal(ProblemType.Unauthenticated, decision.Refusal);
        Assert.Contains("revoked", decision.Reason);
    }

    [Fact]
    public void A_revoked_token_reports_revocation_before_expiry()
    {
        var decision = OperatorAccessPolicy.Decide(Token(OperatorRole.Admin, expiresAt: Now.AddDays(-2), revokedAt: Now.AddDays(-3)), OperatorRole.Admin, Now);
        Assert.Contains("revoked", decision.Reason);
    }
}
