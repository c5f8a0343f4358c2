using Fleetward.Core.Access;
using Microsoft.AspNetCore.Builder;

namespace Fleetward.Server.Access;

/// <summary>Endpoint metadata: the least role a token needs to call this operator route.</summary>
public sealed record RequiredRoleMetadata(OperatorRole Role);

/// <summary>Endpoint metadata: this operator-listener route answers without a token, and why that is safe.</summary>
public sealed record PublicEndpointMetadata(string Justification);

/// <summary>
/// The one way an operator route declares its access rule. The server refuses to build when an
/// operator-listener route declares neither, and a test walks every route to prove the rule holds.
/// </summary>
public static class AccessConventions
{
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, OperatorRole role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredRoleMetadata(role));

    public static TBuilder AllowWithoutToken<TBuilder>(this TBuilder builder, string justification)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicEndpointMetadata(justification));
}
