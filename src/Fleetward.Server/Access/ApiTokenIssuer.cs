using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Access;

/// <summary>A token just created: the stored record and the plaintext, which exists only in this response.</summary>
public sealed record IssuedApiToken(ApiToken Token, string PlainText);

/// <summary>
/// Creates and revokes operator tokens. Each change and its audit record commit in one unit of
/// work, so there is no token the audit log does not know about. Used by the API and by
/// <c>fleetward init</c> for the first admin token.
/// </summary>
public sealed class ApiTokenIssuer(IFleetStore store, TimeProvider time)
{
    public const int MaxNameLength = 100;

    public async Task<IssuedApiToken> IssueAsync(string name, OperatorRole role, DateTimeOffset? expiresAt, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        ValidateName(name);
        if (expiresAt is { } expiry && expiry <= now)
        {
            throw ProblemException.Validation("$.expiresAt", $"expiresAt must be in the future; it is {expiry:O} and now is {now:O}.");
        }

        var secret = ApiTokenSecret.Generate();
        var token = new ApiToken(secret.Id, name, role, secret.Hash(), now, expiresAt, RevokedAt: null, LastUsedAt: null);
        await using var work = await store.BeginAsync(cancellationToken);
        await work.Tokens.InsertAsync(token, cancellationToken);
        await work.Audit.AppendAsync(new AuditEvent("token.created", now, actor, "token:" + token.Id,
            JsonSerializer.Serialize(new { id = token.Id, name, role = role.ToName(), expiresAt })), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return new IssuedApiToken(token, secret.Reveal());
    }

    /// <summary>Revokes a token; revoking an already revoked token changes nothing. Null when no such token exists.</summary>
    public async Task<ApiToken?> RevokeAsync(string id, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(cancellationToken);
        var token = await work.Tokens.GetAsync(id, cancellationToken);
        if (token is null)
        {
            return null;
        }
        if (token.RevokedAt is not null)
        {
            return token;
        }
        await work.Tokens.RevokeAsync(id, now, cancellationToken);
        await work.Audit.AppendAsync(new AuditEvent("token.revoked", now, actor, "token:" + id,
            JsonSerializer.Serialize(new { id, name = token.Name, role = token.Role.ToName() })), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return token with { RevokedAt = now };
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw ProblemException.Validation("$.name", "name must not be empty.");
        }
        if (name.Length > MaxNameLength)
        {
            throw ProblemException.Validation("$.name", $"name must be at most {MaxNameLength} characters, got {name.Length}.");
        }
        if (name.Any(char.IsControl))
        {
            throw ProblemException.Validation("$.name", "name must not contain control characters.");
        }
    }
}
