using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Identity;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward group create|list|token`: enrollment groups and one-time enrollment tokens (provisioner role).</summary>
public static class GroupCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var group = new Command("group", "Manage enrollment groups and one-time enrollment tokens (provisioner role).");
        group.Add(CreateVerb(environment));
        group.Add(ListVerb(environment));
        group.Add(TokenVerb(environment));
        return group;
    }

    private static OperatorApiOptions Api(Func<string, string?>? environment) =>
        environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };

    private static Command CreateVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var name = new Argument<string>("name") { Description = "Group name." };
        var factoryCa = new Option<string?>("--factory-ca") { Description = "PEM file with the manufacturer's CA certificate(s), root included: devices enroll with their factory (IDevID) certificate. Without it the group uses one-time tokens.", HelpName = "FILE" };
        var model = new Option<string>("--model") { Description = "Device model recorded for devices of this group.", DefaultValueFactory = _ => "unknown" };
        var tag = new Option<string[]>("--tag") { Description = "Tag given to devices of this group (repeatable).", AllowMultipleArgumentsPerToken = false };
        var lifetime = new Option<TimeSpan?>("--cert-lifetime") { Description = "Device certificate lifetime such as 24h (default), 7d or 90m.", HelpName = "DURATION", CustomParser = TokenCommand.ParseDuration };
        var approval = new Option<string>("--approval") { Description = "auto: devices are active at first enrollment; manual: they wait for 'fleetward device approve'.", DefaultValueFactory = _ => "auto" };
        approval.AcceptOnlyFromAmong("auto", "manual");
        var command = new Command("create", "Create an enrollment group.") { name, factoryCa, model, tag, lifetime, approval };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            string? pem = null;
            if (parseResult.GetValue(factoryCa) is { } file)
            {
                pem = File.Exists(file) ? await File.ReadAllTextAsync(file, cancellationToken) : throw new UsageException($"--factory-ca {file} does not exist.");
            }

            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, "api/v1/groups", new EnrollmentEndpoints.CreateGroupRequest(
                parseResult.GetRequiredValue(name), parseResult.GetRequiredValue(model), pem, parseResult.GetValue(tag) ?? [],
                parseResult.GetValue(lifetime) is { } l ? (long)l.TotalSeconds : null, parseResult.GetRequiredValue(approval)), cancellationToken);
            return await PrintGroupsAsync(parseResult, api, body, [JsonSerializer.Deserialize<EnrollmentEndpoints.GroupView>(body, JsonBody.Options)!]);
        }));
        return command;
    }

    private static Command ListVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var command = new Command("list", "List enrollment groups.");
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/groups", null, cancellationToken);
            return await PrintGroupsAsync(parseResult, api, body, JsonSerializer.Deserialize<List<EnrollmentEndpoints.GroupView>>(body, JsonBody.Options)!);
        }));
        return command;
    }

    private static Command TokenVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var name = new Argument<string>("name") { Description = "Token-mode group." };
        var deviceId = new Option<string>("--device-id") { Description = "The device the token is for (the HTTP Basic user name at enrollment).", Required = true };
        var expires = new Option<TimeSpan?>("--expires") { Description = "Token lifetime such as 1h (default), 30m or 2d.", HelpName = "DURATION", CustomParser = TokenCommand.ParseDuration };
        var command = new Command("token", "Create a one-time enrollment token; it is printed once and never again.") { name, deviceId, expires };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, $"api/v1/groups/{Uri.EscapeDataString(parseResult.GetRequiredValue(name))}/tokens",
                new EnrollmentEndpoints.CreateTokenRequest(parseResult.GetRequiredValue(deviceId), parseResult.GetValue(expires) is { } e ? (long)e.TotalSeconds : null), cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }

            var token = JsonSerializer.Deserialize<IssuedEnrollmentToken>(body, JsonBody.Options)!;
            await output.WriteLineAsync(token.Token);
            await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                $"One-time token for device {token.DeviceId} in group {token.Group}, valid until {token.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}. It is shown only now.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> PrintGroupsAsync(ParseResult parseResult, OperatorApiOptions api, string body, IReadOnlyList<EnrollmentEndpoints.GroupView> groups)
    {
        var output = parseResult.InvocationConfiguration.Output;
        if (parseResult.GetValue(api.Json))
        {
            await output.WriteLineAsync(body);
            return ExitCodes.Success;
        }

        await TextTable.WriteAsync(output, ["NAME", "MODE", "MODEL", "TAGS", "CERT LIFETIME", "APPROVAL"],
            groups.Select(g => (IReadOnlyList<string>)[g.Name, g.Mode, g.Model, g.Tags.Count == 0 ? "-" : string.Join(",", g.Tags),
                TimeSpan.FromSeconds(g.CertLifetimeSeconds).ToString(), g.Approval]));
        return ExitCodes.Success;
    }
}
