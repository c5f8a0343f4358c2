using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleetward.Server.Rollouts;

namespace Fleetward.Cli.Commands;

/// <summary>
/// <c>fleetward rollout</c>: create, start, pause, resume, approve, cancel, abort, status and list rollouts through
/// the operator API. The server comes from --server / FLEETWARD_SERVER, the token from --token / FLEETWARD_TOKEN, and the
/// server certificate is trusted from --ca-file / FLEETWARD_CA_FILE. Exit code 0 on success, 1 when the server refuses
/// or cannot be reached, 2 on bad command input.
/// </summary>
public static partial class RolloutCommand
{
    public static Command Create()
    {
        var client = new OperatorApiOptions();

        var command = new Command("rollout", "Staged OTA rollouts: rings, health gates, maintenance windows");
        command.Subcommands.Add(CreateCommand(client));
        foreach (var (name, description) in new[]
        {
            ("start", "Count the selected devices per ring and open the first ring"),
            ("pause", "Stop new assignments; devices already updating finish"),
            ("resume", "Resume a paused rollout (after an error pause this accepts the failures seen so far)"),
            ("approve", "Approve the ring awaiting approval so the next ring opens"),
            ("cancel", "End the rollout without rolling devices back; unstarted assignments are withdrawn"),
            ("abort", "End the rollout and order devices that installed the release back to their previous one"),
        })
        {
            command.Subcommands.Add(ActionCommand(client, name, description));
        }

        var statusId = new Argument<string>("ID") { Description = "Rollout id" };
        var status = new Command("status", "Show a rollout's rings, thresholds and device states") { statusId };
        client.AddTo(status);
        status.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
            await api.SendAsync(HttpMethod.Get, "api/v1/rollouts/" + Uri.EscapeDataString(parse.GetValue(statusId)!), null, cancellationToken), FormatRollout));
        command.Subcommands.Add(status);

        var list = new Command("list", "List rollouts, newest first");
        client.AddTo(list);
        list.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
            await api.SendAsync(HttpMethod.Get, "api/v1/rollouts", null, cancellationToken), FormatList));
        command.Subcommands.Add(list);
        return command;
    }

    private static Command CreateCommand(OperatorApiOptions client)
    {
        var id = new Option<string?>("--id") { Description = "Rollout id (generated when absent)" };
        var releaseId = new Option<string?>("--release-id") { Description = "Published, signed release to roll out (or give --version)" };
        var version = new Option<string?>("--version") { Description = "Release version to roll out, looked up on --channel when no --release-id is given" };
        var channel = new Option<string?>("--channel") { Description = "stable or security (default stable when looking up by --version)" };
        channel.AcceptOnlyFromAmong("stable", "security");
        var model = new Option<string?>("--model") { Description = "Only devices of this model" };
        var tags = new Option<string[]>("--tag") { Description = "Only devices carrying this tag (repeatable; all must match)", AllowMultipleArgumentsPerToken = false };
        var rings = new Option<string>("--rings") { Description = "Cumulative ring percentages", DefaultValueFactory = _ => "1,10,50,100" };
        var soak = new Option<string>("--soak") { Description = "Minimum soak per ring (30s, 10m, 2h, 1d)", DefaultValueFactory = _ => "10m" };
        var success = new Option<decimal>("--success-threshold") { Description = "Percent of a ring that must succeed before it soaks", DefaultValueFactory = _ => 95m };
        var errors = new Option<string>("--error-threshold") { Description = "Failures that stop the rollout: a percentage (5%) or a count (3)", DefaultValueFactory = _ => "5%" };
        var minFinished = new Option<int>("--min-finished") { Description = "Finished devices needed before a percentage threshold applies", DefaultValueFactory = _ => 1 };
        var onError = new Option<string>("--on-error") { Description = "pause or abort when the error threshold trips", DefaultValueFactory = _ => "pause" };
        onError.AcceptOnlyFromAmong("pause", "abort");
        var rate = new Option<string?>("--rate") { Description = "Assignment rate limit, N/min" };
        var installTimeout = new Option<string>("--install-timeout") { Description = "How long one install attempt may take", DefaultValueFactory = _ => "30m" };
        var retries = new Option<int>("--retries") { Description = "Extra attempts after a failed or timed-out one", DefaultValueFactory = _ => 0 };
        var windows = new Option<string[]>("--window") { Description = "Maintenance window \"CRON;DURATION;TZ\" (repeatable), e.g. \"0 2 * * *;2h;Europe/Berlin\"" };
        var bypass = new Option<bool>("--security-bypasses-windows") { Description = "Let a security-channel release ignore the windows" };
        var approval = new Option<bool>("--approval") { Description = "Require operator approval before each next ring opens" };

        var command = new Command("create", "Create a draft rollout of a release");
        foreach (var option in new Option[] { id, releaseId, version, channel, model, tags, rings, soak, success, errors, minFinished, onError, rate, installTimeout, retries, windows, bypass, approval })
        {
            command.Options.Add(option);
        }
        client.AddTo(command);
        command.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
        {
            var soakSeconds = ParseDuration(parse.GetValue(soak)!, "--soak");
            var percents = ParseRings(parse.GetValue(rings)!);
            var ringSpecs = percents.Select((p, i) => new RingSpec(p, soakSeconds, parse.GetValue(success), parse.GetValue(approval) && i < percents.Count - 1)).ToList();
            var (failedCount, failedPercent) = ParseErrorThreshold(parse.GetValue(errors)!);
            var request = new CreateRolloutRequest(
                new ReleaseSpec(parse.GetValue(releaseId), parse.GetValue(version), parse.GetValue(channel)),
                ringSpecs,
                parse.GetValue(id),
                new SelectionSpec(parse.GetValue(model), parse.GetValue(tags) is { Length: > 0 } t ? t : null),
                new ErrorThresholdSpec(failedCount, failedPercent, parse.GetValue(minFinished), parse.GetValue(onError)!),
                parse.GetValue(rate) is { } r ? ParseRate(r) : null,
                ParseDuration(parse.GetValue(installTimeout)!, "--install-timeout"),
                parse.GetValue(retries),
                new MaintenanceSpec([.. (parse.GetValue(windows) ?? []).Select(ParseWindow)], parse.GetValue(bypass)));
            return await api.SendAsync(HttpMethod.Post, "api/v1/rollouts", request, cancellationToken);
        }, FormatRollout));
        return command;
    }

    private static Command ActionCommand(OperatorApiOptions client, string name, string description)
    {
        var id = new Argument<string>("ID") { Description = "Rollout id" };
        var expected = new Option<long?>("--expected-version") { Description = "Apply only if the rollout is still at this version" };
        var command = new Command(name, description) { id, expected };
        client.AddTo(command);
        Option<int?>? ring = null;
        if (name == "approve")
        {
            ring = new Option<int?>("--ring") { Description = "Ring to approve (default: the one awaiting approval)" };
            command.Options.Add(ring);
        }
        command.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
        {
            var query = new List<string>();
            if (parse.GetValue(expected) is { } v) query.Add("expectedVersion=" + v.ToString(CultureInfo.InvariantCulture));
            if (ring is not null && parse.GetValue(ring) is { } r) query.Add("ring=" + r.ToString(CultureInfo.InvariantCulture));
            var path = $"api/v1/rollouts/{Uri.EscapeDataString(parse.GetValue(id)!)}/{name}" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            return await api.SendAsync(HttpMethod.Post, path, null, cancellationToken);
        }, FormatRollout));
        return command;
    }

    private static Task<int> Run(ParseResult parse, OperatorApiOptions options, Func<OperatorApiClient, Task<string>> call, Func<JsonElement, string> format) =>
        CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var api = new OperatorApiClient(options.Connection(parse));
            var answer = await call(api);
            using var document = JsonDocument.Parse(answer);
            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(options.Json) ? answer : format(document.RootElement));
            return ExitCodes.Success;
        });

    private static string FormatRollout(JsonElement rollout)
    {
        var text = new StringBuilder();
        var release = rollout.GetProperty("release");
        text.Append(CultureInfo.InvariantCulture, $"rollout {rollout.GetProperty("id").GetString()} (version {rollout.GetProperty("version").GetInt64()}): {rollout.GetProperty("status").GetString()}");
        if (rollout.GetProperty("statusReason").GetString() is { } reason) text.Append(CultureInfo.InvariantCulture, $" ({reason})");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"release {release.GetProperty("id").GetString()} {release.GetProperty("version").GetString()} (security version {release.GetProperty("securityVersion").GetInt64()}, {release.GetProperty("channel").GetString()})");
        foreach (var ring in rollout.GetProperty("rings").EnumerateArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"ring {ring.GetProperty("index").GetInt32()} ({ring.GetProperty("cumulativePercent").GetDecimal()}%): {ring.GetProperty("status").GetString()}, " +
                $"{ring.GetProperty("succeeded").GetInt32()}/{ring.GetProperty("targetDevices").GetInt32()} succeeded, {ring.GetProperty("failed").GetInt32()} failed, {ring.GetProperty("reverted").GetInt32()} rolled back");
        }
        var devices = rollout.GetProperty("devices").EnumerateObject().Where(p => p.Value.GetInt32() > 0).Select(p => $"{p.Name} {p.Value.GetInt32()}").ToList();
        text.Append("devices: ").Append(devices.Count == 0 ? "none assigned" : string.Join(", ", devices));
        return text.ToString();
    }

    private static string FormatList(JsonElement list)
    {
        var lines = list.GetProperty("items").EnumerateArray().Select(r =>
            $"{r.GetProperty("id").GetString()}\t{r.GetProperty("status").GetString()}\tring {r.GetProperty("currentRing").GetInt32() + 1}/{r.GetProperty("ringCount").GetInt32()}\t" +
            $"{r.GetProperty("release").GetProperty("id").GetString()} {r.GetProperty("release").GetProperty("version").GetString()}").ToList();
        return lines.Count == 0 ? "no rollouts" : string.Join(Environment.NewLine, lines);
    }

    /// <summary>"90", "30s", "10m", "2h" or "1d" as whole seconds.</summary>
    internal static long ParseDuration(string text, string option)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new UsageException($"{option} must be a duration such as 90, 30s, 10m, 2h or 1d; got '{text}'");
        }
        var value = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "m" => value * 60,
            "h" => value * 3600,
            "d" => value * 86400,
            _ => value,
        };
    }

    internal static IReadOnlyList<decimal> ParseRings(string text)
    {
        var rings = new List<decimal>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!decimal.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent))
            {
                throw new UsageException($"--rings must be comma-separated percentages such as 1,10,50,100; got '{text}'");
            }
            rings.Add(percent);
        }
        return rings;
    }

    /// <summary>"5%" is a failed percentage, "3" a failed count.</summary>
    internal static (int? Count, decimal? Percent) ParseErrorThreshold(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith('%') && decimal.TryParse(trimmed[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent))
        {
            return (null, percent);
        }
        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return (count, null);
        }
        throw new UsageException($"--error-threshold must be a percentage (5%) or a count (3); got '{text}'");
    }

    internal static int ParseRate(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith("/min", StringComparison.Ordinal)) trimmed = trimmed[..^4];
        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var rate)
            ? rate
            : throw new UsageException($"--rate must be devices per minute such as 100/min; got '{text}'");
    }

    internal static MaintenanceWindowSpec ParseWindow(string text)
    {
        var parts = text.Split(';', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
        {
            throw new UsageException($"--window must be \"CRON;DURATION;TZ\", e.g. \"0 2 * * *;2h;Europe/Berlin\"; got '{text}'");
        }
        return new MaintenanceWindowSpec(parts[0], ParseDuration(parts[1], "--window duration"), parts[2]);
    }

    [GeneratedRegex("^([0-9]{1,9})([smhd]?)$")]
    private static partial Regex DurationPattern();
}
