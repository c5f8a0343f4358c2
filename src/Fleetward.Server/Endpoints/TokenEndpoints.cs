using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Fleetward.Server.Options;

namespace Fleetward.Server.Endpoints;

/// <summary>Operator API tokens: create, list, revoke. Admin only, since a token is a grant of power.</summary>
public sealed class TokenEndpoints : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options) =>
        services.AddSingleton<ApiTokenIssuer>();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var tokens = routes.OperatorApi.MapGroup("/tokens");
        tokens.MapPost("/", CreateAsync).RequireRole(OperatorRole.Admin);
        tokens.MapGet("/", ListAsync).RequireRole(OperatorRole.Admin);
        tokens.MapDelete("/{id}", RevokeAsync).RequireRole(OperatorRole.Admin);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ApiTokenIssuer issuer)
    {
        var request = await JsonBody.ReadAsync<CreateTokenRequest>(context.Request);
        if (!OperatorRoleNames.TryParse(request.Role, out var role))
        {
            throw ProblemException.Validation("$.role", $"role must be one of {OperatorRoles.NameList}; got '{request.Role}'.");
        }
        var issued = await issuer.IssueAsync(request.Name, role, request.ExpiresAt, OperatorIdentity.Of(context).Actor, context.RequestAborted);
        var view = TokenView.From(issued.Token, issued.Token.CreatedAt);
        return Results.Json(new CreatedToken(view, issued.PlainText), JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store, TimeProvider time)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        var tokens = await read.Tokens.ListAsync(context.RequestAborted);
        var now = time.GetUtcNow();
        return Results.Json(new TokenList([.. tokens.OrderBy(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal).Select(t => TokenView.From(t, now))]), JsonBody.Options);
    }

    private static async Task<IResult> RevokeAsync(string id, HttpContext context, ApiTokenIssuer issuer)
    {
        var revoked = await issuer.RevokeAsync(id, OperatorIdentity.Of(context).Actor, context.RequestAborted);
        if (revoked is null)
        {
            throw ProblemException.NotFound($"No API token with id '{id}'.");
        }
        return Results.NoContent();
    }

    /// <summary>Body of POST /api/v1/tokens.</summary>
    public sealed record CreateTokenRequest(string Name, string Role, DateTimeOffset? ExpiresAt = null);

    /// <summary>A token as the API shows it: never the secret or its hash.</summary>
    public sealed record TokenView(string Id, string Name, string Role, string State, DateTimeOffset CreatedAt,
        DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
    {
        public static TokenView From(ApiToken token, DateTimeOffset now) => new(token.Id, token.Name, token.Role.ToName(),
            token.RevokedAt is not null ? "revoked" : token.ExpiresAt is { } e && e <= now ? "expired" : "active",
            token.CreatedAt, token.ExpiresAt, token.RevokedAt, token.LastUsedAt);
    }

    /// <summary>Response of POST /api/v1/tokens: the only time the plaintext token is shown.</summary>
    public sealed record CreatedToken(TokenView Token, string Secret);

    public sealed record TokenList(IReadOnlyList<TokenView> Items);
}
