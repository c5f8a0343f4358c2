using Fleetward.Core.Access;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Access;

/// <summary>The authenticated caller of an operator route, as endpoints see it (for audit actors and ownership).</summary>
public sealed record OperatorIdentity(string TokenId, string TokenName, OperatorRole Role)
{
    /// <summary>How the caller appears as an audit actor.</summary>
    public string Actor => "token:" + TokenId;

    /// <summary>The caller of a route that required a role; the authentication middleware guarantees it is set.</summary>
    public static OperatorIdentity Of(HttpContext context) =>
        context.Features.Get<OperatorIdentity>()
        ?? throw new InvalidOperationException($"No operator identity on {context.Request.Path}: the route declares no required role.");
}
