using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward token create|list|revoke`: operator API tokens (admin role required).</summary>
public static class TokenCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var token = new Command("token", "Manage operator API tokens (requires an admin token).");
        token.Add(CreateVerb(environment));
        token.Add(ListVerb(environment));
        token.Add(RevokeVerb(environment));
        return token;
    }

    private static Command CreateVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var name = new Option<string>("--name") { Description = "What the token is for (shown in lists and the audit log).", Required = true };
        var role = new Option<string>("--role") { Description = "Role: " + string.Join(", ", OperatorRoleNames.All) + ".", Required = true };
        role.AcceptOnlyFromAmong([.. OperatorRoleNames.All]);
        var expires = new Option<TimeSpan?>("--expires")
        {
            Description = "Lifetime such as 30d, 12h or 45m; without it the token lives until revoked.",
            HelpName = "DURATION",
            CustomParser = ParseDuration,
        };
        var command = new Command("create", "Create a token; its secret is printed once and never again.") { name, role, expires };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            DateTimeOffset? expiresAt = parseResult.GetValue(expires) is { } lifetime ? DateTimeOffset.UtcNow + lifetime : null;
            var body = await client.SendAsync(HttpMethod.Post, "api/v1/tokens",
                new TokenEndpoints.CreateTokenRequest(parseResult.GetRequiredValue(name), parseResult.GetRequiredValue(role), expiresAt), cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var created = JsonSerializer.Deserialize<TokenEndpoints.CreatedToken>(body, JsonBody.Options)!;
            await output.WriteLineAsync($"Created token {created.Token.Id} '{created.Token.Name}' with role {created.Token.Role}, expires {TextTable.Time(created.Token.ExpiresAt)}.");
            await output.WriteLineAsync("Secret (shown only now):");
            await output.WriteLineAsync("  " + created.Secret);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ListVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var command = new Command("list", "List tokens with their role, state, expiry and last use (never their secrets).");
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/tokens", null, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var list = JsonSerializer.Deserialize<TokenEndpoints.TokenList>(body, JsonBody.Options)!;
            await TextTable.WriteAsync(output, ["ID", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES", "LAST USED"],
                list.Items.Select(t => (IReadOnlyList<string>)[t.Id, t.Name, t.Role, t.State, TextTable.Time(t.CreatedAt), TextTable.Time(t.ExpiresAt), TextTable.Time(t.LastUsedAt)]));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command RevokeVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var id = new Argument<string>("id") { Description = "Token id (the part between 'fw_' and the second '_')." };
        var command = new Command("revoke", "Revoke a token; it is refused from then on.") { id };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var tokenId = parseResult.GetRequiredValue(id);
            await client.SendAsync(HttpMethod.Delete, "api/v1/tokens/" + Uri.EscapeDataString(tokenId), null, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync(parseResult.GetValue(api.Json)
                ? JsonSerializer.Serialize(new { id = tokenId, revoked = true })
                : $"Revoked token {tokenId}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static OperatorApiOptions Api(Func<string, string?>? environment) =>
        environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };

    /// <summary>Parses a lifetime: a positive whole number followed by s, m, h or d.</summary>
    public static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        if (TryParseDuration(text, out var duration))
        {
            return duration;
        }
        result.AddError($"--expires: '{text}' is not a duration; use a positive number with s, m, h or d, e.g. 30d.");
        return null;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }
        try
        {
            duration = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.Zero,
            };
        }
        catch (OverflowException)
        {
            return false;
        }
        return duration > TimeSpan.Zero && duration <= TimeSpan.FromDays(3650);
    }
}
