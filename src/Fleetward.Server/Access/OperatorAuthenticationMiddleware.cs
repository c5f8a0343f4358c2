using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Hosting;
using Fleetward.Server.Metrics;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Access;

/// <summary>
/// Bearer-token authentication and role authorization for operator-listener routes (RFC 6750),
/// driven only by the matched endpoint's <see cref="RequiredRoleMetadata"/>. Refusals of a real
/// token (wrong role, revoked, expired) are audited; requests with no or unknown tokens are
/// logged and counted but not audited, so anonymous traffic cannot flood the audit log.
/// </summary>
public sealed class OperatorAuthenticationMiddleware(
    RequestDelegate next,
    IFleetStore store,
    TimeProvider time,
    ServerOptions options,
    ServerMetrics metrics,
    ILogger<OperatorAuthenticationMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null
            || endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Listener != FleetwardListener.Operator
            || endpoint.Metadata.GetMetadata<PublicEndpointMetadata>() is not null)
        {
            await next(context);
            return;
        }

        var required = endpoint.Metadata.GetMetadata<RequiredRoleMetadata>()
            ?? throw new InvalidOperationException($"Operator route '{endpoint.DisplayName}' declares no required role.");

        // Browser routes (the dashboard) also accept a session cookie standing for a token, but only
        // when no Authorization header is sent; the token behind it is re-checked below like a bearer token.
        var sessionTokenId = endpoint.Metadata.GetMetadata<BrowserSessionMetadata>() is not null && context.Request.Headers.Authorization.Count == 0
            ? context.RequestServices.GetService<IOperatorSessionReader>()?.ReadTokenId(context.Request)
            : null;
        ApiTokenSecret? secret = null;
        if (sessionTokenId is null)
        {
            if (!TryReadBearer(context.Request, out var presented, out var missingReason))
            {
                await RefuseAsync(context, AccessDecision.Unauthenticated(missingReason), "missing");
                return;
            }
            if (!ApiTokenSecret.TryParse(presented, out secret))
            {
                await RefuseAsync(context, AccessDecision.Unauthenticated("the bearer token is not a Fleetward API token (fw_<id>_<secret>)"), "malformed");
                return;
            }
        }

        var ct = context.RequestAborted;
        ApiToken? token;
        await using (var read = await store.ReadAsync(ct))
        {
            token = await read.Tokens.GetAsync(secret?.Id ?? sessionTokenId!, ct);
        }
        if (token is null || (secret is not null && !secret.Matches(token.SecretHash)))
        {
            await RefuseAsync(context, AccessDecision.Unauthenticated("the API token is unknown"), "unknown");
            return;
        }

        var now = time.GetUtcNow();
        var decision = OperatorAccessPolicy.Decide(token, required.Role, now);
        if (!decision.Allowed)
        {
            await AuditRefusalAsync(context, token.Id, required.Role, decision, now, ct);
            await RefuseAsync(context, decision, decision.Refusal == ProblemType.Forbidden ? "role" : "inactive");
            return;
        }

        if (token.LastUsedAt is not { } lastUsed || now - lastUsed >= options.TokenLastUsedResolution)
        {
            await using var write = await store.BeginAsync(ct);
            await write.Tokens.TouchLastUsedAsync(token.Id, now, ct);
            await write.CommitAsync(ct);
        }

        context.Features.Set(new OperatorIdentity(token.Id, token.Name, token.Role));
        await next(context);
    }

    private static bool TryReadBearer(HttpRequest request, out string token, out string reason)
    {
        token = "";
        var header = request.Headers.Authorization;
        if (header.Count == 0)
        {
            reason = "the Authorization header is missing; send 'Authorization: Bearer fw_<id>_<secret>'";
            return false;
        }
        if (header.Count > 1)
        {
            reason = "more than one Authorization header";
            return false;
        }
        var value = header[0] ?? "";
        // RFC 6750 2.1: the scheme is case-insensitive, followed by one space and the token.
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            reason = "the Authorization header must use the Bearer scheme";
            return false;
        }
        token = value["Bearer ".Length..].Trim();
        reason = "";
        return true;
    }

    private async Task RefuseAsync(HttpContext context, AccessDecision decision, string reasonLabel)
    {
        metrics.AccessRefused(reasonLabel);
        logger.LogInformation("Operator access refused on {Method} {Path}: {Reason}",
            context.Request.Method, context.Request.Path.Value, decision.Reason);
        if (decision.Refusal == ProblemType.Unauthenticated
            && context.GetEndpoint()?.Metadata.GetMetadata<BrowserSessionMetadata>() is { } browser
            && BrowserSessionMetadata.IsPageRequest(context.Request))
        {
            // A person opening a page is sent to sign in; scripts and API clients still get 401 problem+json.
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = browser.LoginPath + "?next=" + Uri.EscapeDataString(context.Request.Path.Value + context.Request.QueryString.Value);
            context.Response.Headers.CacheControl = "no-store";
            return;
        }
        if (decision.Refusal == ProblemType.Unauthenticated)
        {
            // RFC 6750 3: a 401 names the scheme, and the error when a token was presented.
            context.Response.Headers.WWWAuthenticate = reasonLabel == "missing"
                ? "Bearer realm=\"fleetward\""
                : "Bearer realm=\"fleetward\", error=\"invalid_token\"";
        }
        await ProblemWriter.WriteAsync(context, new Problem(decision.Refusal!, decision.Reason + "."));
    }

    private async Task AuditRefusalAsync(HttpContext context, string tokenId, OperatorRole required, AccessDecision decision, DateTimeOffset now, CancellationToken ct)
    {
        await using var work = await store.BeginAsync(ct);
        await work.Audit.AppendAsync(new AuditEvent("operator.access.refused", now, "token:" + tokenId,
            context.Request.Method + " " + context.Request.Path.Value,
            JsonSerializer.Serialize(new { required = required.ToName(), reason = decision.Reason, code = decision.Refusal!.Code })), ct);
        await work.CommitAsync(ct);
    }
}

/// <summary>Resolves a browser session cookie to the API token it stands for (the dashboard implements it).</summary>
public interface IOperatorSessionReader
{
    /// <summary>The token id of a valid session on the request, or null.</summary>
    string? ReadTokenId(HttpRequest request);
}

/// <summary>
/// Endpoint metadata for routes people open in a browser: a session cookie is accepted as the
/// credential, and an unauthenticated page request is redirected to <see cref="LoginPath"/>.
/// </summary>
public sealed record BrowserSessionMetadata(string LoginPath)
{
    /// <summary>A browser navigation: GET or HEAD asking for HTML.</summary>
    public static bool IsPageRequest(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && request.Headers.Accept.Any(value => value?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
