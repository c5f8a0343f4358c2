using System.CommandLine;
using System.Text.Json;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward device list|show` read the device registry (auditor role or above); `approve|quarantine|release|decommission|revoke`
/// change a device's lifecycle or revoke its certificates (operator role).
/// </summary>
public static class DeviceCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var device = new Command("device", "Inspect registered devices.");
        device.Add(ListVerb(environment));
        device.Add(ShowVerb(environment));
        device.Add(LifecycleVerb(environment, "approve", "Approve a device waiting in a manual-approval group (operator role)."));
        device.Add(LifecycleVerb(environment, "quarantine", "Quarantine a device: it keeps only the routes a quarantined device may use (operator role)."));
        device.Add(LifecycleVerb(environment, "release", "Release a device from quarantine (operator role)."));
        device.Add(LifecycleVerb(environment, "decommission", "Decommission a device for good and revoke all its certificates (operator role)."));
        device.Add(RevokeVerb(environment));
        return device;
    }

    private static Command ListVerb(Func<string, string?>? environment)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var state = new Option<string?>("--state") { Description = "Only devices in this state: pending, active, quarantined, decommissioned." };
        state.AcceptOnlyFromAmong("pending", "active", "quarantined", "decommissioned");
        var model = new Option<string?>("--model") { Description = "Only devices of this model." };
        var tag = new Option<string?>("--tag") { Description = "Only devices carrying this tag." };
        var limit = new Option<int?>("--limit") { Description = $"Page size, 1 to {DeviceEndpoints.MaxPageSize} (default 100)." };
        var after = new Option<string?>("--after") { Description = "Continue after this device id (the 'next' of the previous page)." };
        var command = new Command("list", "List devices, one page at a time, in id order.") { state, model, tag, limit, after };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var query = new List<string>();
            void Add(string key, string? value)
            {
                if (value is not null)
                {
                    query.Add(key + "=" + Uri.EscapeDataString(value));
                }
            }
            Add("state", parseResult.GetValue(state));
            Add("model", parseResult.GetValue(model));
            Add("tag", parseResult.GetValue(tag));
            Add("limit", parseResult.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add("after", parseResult.GetValue(after));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/devices" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var page = JsonSerializer.Deserialize<DeviceEndpoints.DevicePage>(body, JsonBody.Options)!;
            await TextTable.WriteAsync(output, ["ID", "MODEL", "STATE", "TAGS", "LAST SEEN"],
                page.Items.Select(d => (IReadOnlyList<string>)[d.Id, d.Model, d.State, string.Join(",", d.Tags), TextTable.Time(d.LastSeenAt)]));
            if (page.Next is not null)
            {
                await output.WriteLineAsync($"(more: --after {page.Next})");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ShowVerb(Func<string, string?>? environment)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var id = new Argument<string>("id") { Description = "Device id." };
        var command = new Command("show", "Show one device.") { id };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/devices/" + Uri.EscapeDataString(parseResult.GetRequiredValue(id)), null, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var d = JsonSerializer.Deserialize<DeviceEndpoints.DeviceView>(body, JsonBody.Options)!;
            await TextTable.WriteAsync(output, ["FIELD", "VALUE"],
            [
                ["id", d.Id],
                ["model", d.Model],
                ["hardware revision", d.HardwareRevision ?? "-"],
                ["state", d.State],
                ["tags", d.Tags.Count == 0 ? "-" : string.Join(",", d.Tags)],
                ["created", TextTable.Time(d.CreatedAt)],
                ["first seen", TextTable.Time(d.FirstSeenAt)],
                ["last seen", TextTable.Time(d.LastSeenAt)],
            ]);
            var certificates = await client.GetAsync<List<DeviceLifecycleEndpoints.CertificateView>>(
                "api/v1/devices/" + Uri.EscapeDataString(d.Id) + "/certificates", cancellationToken);
            if (certificates.Count > 0)
            {
                await output.WriteLineAsync("");
                await TextTable.WriteAsync(output, ["CERTIFICATE SERIAL", "NOT AFTER", "REVOKED"],
                    certificates.Select(c => (IReadOnlyList<string>)[c.Serial, TextTable.Time(c.NotAfter), c.RevokedAt is null ? "-" : $"{TextTable.Time(c.RevokedAt)} ({c.RevocationReason})"]));
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command LifecycleVerb(Func<string, string?>? environment, string verb, string description)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var id = new Argument<string>("id") { Description = "Device id." };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the audit log)." };
        var command = new Command(verb, description) { id, reason };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, $"api/v1/devices/{Uri.EscapeDataString(parseResult.GetRequiredValue(id))}/{verb}",
                new DeviceLifecycleEndpoints.StateChangeRequest(parseResult.GetValue(reason)), cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }

            var d = JsonSerializer.Deserialize<DeviceEndpoints.DeviceView>(body, JsonBody.Options)!;
            await output.WriteLineAsync($"Device {d.Id} is now {d.State}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command RevokeVerb(Func<string, string?>? environment)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var id = new Argument<string>("id") { Description = "Device id." };
        var reason = new Option<string?>("--reason") { Description = "RFC 5280 reason: " + string.Join(", ", Trust.Pki.RevocationReasonNames.All) + " (default keyCompromise)." };
        reason.AcceptOnlyFromAmong([.. Trust.Pki.RevocationReasonNames.All]);
        var command = new Command("revoke", "Revoke every certificate of a device; the CRL is regenerated and the device is refused at once (operator role).") { id, reason };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parseResult));
            var body = await client.SendAsync(HttpMethod.Post, $"api/v1/devices/{Uri.EscapeDataString(parseResult.GetRequiredValue(id))}/revoke",
                new DeviceLifecycleEndpoints.RevokeRequest(parseResult.GetValue(reason)), cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }

            var revoked = JsonSerializer.Deserialize<DeviceLifecycleEndpoints.RevocationView>(body, JsonBody.Options)!;
            await output.WriteLineAsync(revoked.RevokedSerials.Count == 0
                ? $"Device {revoked.DeviceId} had no unrevoked certificate."
                : $"Revoked {revoked.RevokedSerials.Count} certificate(s) of {revoked.DeviceId} ({revoked.Reason}): {string.Join(", ", revoked.RevokedSerials)}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
