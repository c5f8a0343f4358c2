using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward incident list|show|contain|resolve`: read incidents (auditor) and act on them (operator).</summary>
public static class IncidentCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var incident = new Command("incident", "Inspect and handle security incidents.");
        incident.Add(ListVerb(environment));
        incident.Add(ShowVerb(environment));
        incident.Add(ContainVerb(environment));
        incident.Add(ResolveVerb(environment));
        return incident;
    }

    private static OperatorApiOptions Api(Func<string, string?>? environment) =>
        environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };

    private static Command ListVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var status = new Option<string?>("--status") { Description = "Only incidents in this status." };
        status.AcceptOnlyFromAmong("detected", "contained", "eradicated", "recovered", "dismissed");
        var open = new Option<bool>("--open") { Description = "Only open incidents (detected, contained or eradicated)." };
        var device = new Option<string?>("--device") { Description = "Only incidents of this device." };
        var cause = new Option<string?>("--cause") { Description = "Only incidents of this cause, e.g. mirai-like." };
        var limit = new Option<int?>("--limit") { Description = $"Page size, 1 to {IncidentEndpoints.MaxPageSize} (default 100)." };
        var before = new Option<string?>("--before") { Description = "Continue before this incident id (the 'next' of the previous page)." };
        var command = new Command("list", "List incidents, newest first, with MTTD and MTTR of the page.") { status, open, device, cause, limit, before };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var query = new List<string>();
            void Add(string key, string? value)
            {
                if (value is not null) query.Add(key + "=" + Uri.EscapeDataString(value));
            }
            Add("status", parseResult.GetValue(status));
            Add("open", parseResult.GetValue(open) ? "true" : null);
            Add("device", parseResult.GetValue(device));
            Add("cause", parseResult.GetValue(cause));
            Add("limit", parseResult.GetValue(limit)?.ToString(CultureInfo.InvariantCulture));
            Add("before", parseResult.GetValue(before));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/incidents" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var page = JsonSerializer.Deserialize<IncidentEndpoints.IncidentPage>(body, JsonBody.Options)!;
            await TextTable.WriteAsync(output, ["ID", "DEVICE", "CAUSE", "SEVERITY", "STATUS", "DETECTED", "SUMMARY"],
                page.Items.Select(i => (IReadOnlyList<string>)[i.Id, i.DeviceId, i.Cause, i.Severity, i.Status, TextTable.Time(i.DetectedAt), i.Summary]));
            var times = page.ResponseTimes;
            await output.WriteLineAsync($"MTTD {Seconds(times.MeanTimeToDetectSeconds)} over {times.Incidents}, MTTR {Seconds(times.MeanTimeToRecoverSeconds)} over {times.Recovered} recovered");
            if (page.Next is not null) await output.WriteLineAsync($"(more: --before {page.Next})");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ShowVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var id = new Argument<string>("id") { Description = "Incident id." };
        var command = new Command("show", "Show an incident with its timeline and the responses taken.") { id };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/incidents/" + Uri.EscapeDataString(parseResult.GetRequiredValue(id)), null, cancellationToken);
            return await PrintIncidentAsync(parseResult, api, body);
        }));
        return command;
    }

    private static Command ContainVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var id = new Argument<string>("id") { Description = "Incident id." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the timeline and the audit log)." };
        var command = new Command("contain", "Contain an incident: quarantines its device (isolate command) unless it is already quarantined.") { id, reason };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, $"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetRequiredValue(id))}/contain",
                new IncidentEndpoints.ContainRequest(parseResult.GetValue(reason)), cancellationToken);
            return await PrintIncidentAsync(parseResult, api, body);
        }));
        return command;
    }

    private static Command ResolveVerb(Func<string, string?>? environment)
    {
        var api = Api(environment);
        var id = new Argument<string>("id") { Description = "Incident id." };
        var reason = new Option<string>("--reason") { Description = "What was done or found (required).", Required = true };
        var falsePositive = new Option<bool>("--false-positive") { Description = "Dismiss as a false positive instead of recording a recovery." };
        var command = new Command("resolve", "Close an incident as recovered (fixes its MTTR) or dismissed.") { id, reason, falsePositive };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, $"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetRequiredValue(id))}/resolve",
                new IncidentEndpoints.ResolveRequest(parseResult.GetRequiredValue(reason), parseResult.GetValue(falsePositive)), cancellationToken);
            return await PrintIncidentAsync(parseResult, api, body);
        }));
        return command;
    }

    private static async Task<int> PrintIncidentAsync(ParseResult parseResult, OperatorApiOptions api, string body)
    {
        var output = parseResult.InvocationConfiguration.Output;
        if (parseResult.GetValue(api.Json))
        {
            await output.WriteLineAsync(body);
            return ExitCodes.Success;
        }
        var i = JsonSerializer.Deserialize<IncidentEndpoints.IncidentDetail>(body, JsonBody.Options)!;
        await TextTable.WriteAsync(output, ["FIELD", "VALUE"],
        [
            ["id", i.Id],
            ["device", i.DeviceId],
            ["cause", i.Cause],
            ["severity", i.Severity],
            ["status", i.Status],
            ["summary", i.Summary],
            ["signals", string.Join(",", i.Signals)],
            ["detections", i.DetectionCount.ToString(CultureInfo.InvariantCulture)],
            ["time to detect", Seconds(i.TimeToDetectSeconds)],
            ["time to recover", Seconds(i.TimeToRecoverSeconds)],
            ["responses", i.Actions.Count == 0 ? "-" : string.Join(", ", i.Actions.Select(a => $"{a.Action} by {a.Actor}"))],
        ]);
        await output.WriteLineAsync();
        await TextTable.WriteAsync(output, ["AT", "EVENT", "ACTOR", "DETAIL"],
            i.Timeline.Select(t => (IReadOnlyList<string>)[TextTable.Time(t.At), t.Kind, t.Actor, t.Detail]));
        return ExitCodes.Success;
    }

    private static string Seconds(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(Math.Round(s)).ToString("c", CultureInfo.InvariantCulture) : "-";
}
