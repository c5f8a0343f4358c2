using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Fleetward.Server.Updates;
using Fleetward.Trust.Tuf;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward release publish|list|show|draft|sign|upload`. Publish uploads the artifact and makes it a TUF target;
/// a development server signs at once. In production the release signer fetches the unsigned targets draft, signs it
/// offline (`sign`, m-of-n by repeating) and uploads it.
/// </summary>
public static class ReleaseCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        var release = new Command("release", "Publish, sign and inspect firmware releases (TUF targets).");
        release.Add(PublishVerb(env));
        release.Add(ListVerb(env));
        release.Add(ShowVerb(env));
        release.Add(DraftVerb(env));
        release.Add(SignVerb(env));
        release.Add(UploadVerb(env));
        return release;
    }

    private static Command PublishVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var file = new Argument<string>("file") { Description = "The artifact (firmware image)." };
        var version = new Option<string>("--version") { Description = "Release version, e.g. 1.4.2.", Required = true };
        var securityVersion = new Option<long>("--security-version") { Description = "Anti-rollback counter: devices refuse releases below the one installed.", Required = true };
        var hardware = new Option<string[]>("--hardware") { Description = "Hardware model the release is for; repeat for several.", Required = true, HelpName = "MODEL" };
        var channel = new Option<string>("--channel") { Description = "stable (targets role) or security (delegated security role).", DefaultValueFactory = _ => "stable" };
        channel.AcceptOnlyFromAmong("stable", "security");
        var sbom = new Option<string?>("--sbom") { Description = "SBOM file (CycloneDX or SPDX JSON); its SHA-256 goes into the target.", HelpName = "FILE" };
        var command = new Command("publish", "Upload an artifact and publish it as a release (release-manager role).") { file, version, securityVersion, hardware, channel, sbom };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var path = parse.GetRequiredValue(file);
            if (!File.Exists(path)) throw new UsageException($"{path} does not exist.");
            string? sbomSha256 = null;
            if (parse.GetValue(sbom) is { } sbomPath)
            {
                if (!File.Exists(sbomPath)) throw new UsageException($"--sbom {sbomPath} does not exist.");
                await using var sbomStream = File.OpenRead(sbomPath);
                sbomSha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(sbomStream, cancellationToken));
            }
            using var client = new OperatorApiClient(api.Connection(parse));
            await using var artifact = File.OpenRead(path);
            var content = new StreamContent(artifact);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var uploaded = JsonSerializer.Deserialize<ReleaseEndpoints.ArtifactView>(
                await client.SendBytesAsync(HttpMethod.Post, "api/v1/releases/artifacts", content, cancellationToken), JsonBody.Options)!;
            var body = await client.SendAsync(HttpMethod.Post, "api/v1/releases", new PublishReleaseRequest(uploaded.Sha256, Path.GetFileName(path),
                parse.GetRequiredValue(version), parse.GetValue(securityVersion), parse.GetRequiredValue(hardware), parse.GetRequiredValue(channel), sbomSha256), cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var release = JsonSerializer.Deserialize<ReleaseEndpoints.ReleaseView>(body, JsonBody.Options)!;
            await output.WriteLineAsync($"Published release {release.Id}: {release.TargetPath} ({release.Length} bytes, sha256 {release.Sha256}), {release.State}.");
            if (release.State == "pending")
                await output.WriteLineAsync($"The server holds no key for role '{release.TargetsRole}': sign it offline with 'fleetward release draft --role {release.TargetsRole}', 'release sign', 'release upload'.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ListVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var channel = new Option<string?>("--channel") { Description = "Only this channel (stable or security)." };
        var state = new Option<string?>("--state") { Description = "Only this state (pending or signed)." };
        var command = new Command("list", "List releases, newest first.") { channel, state };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var query = string.Join("&", new[] { ("channel", parse.GetValue(channel)), ("state", parse.GetValue(state)) }
                .Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/releases" + (query.Length > 0 ? "?" + query : ""), null, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var list = JsonSerializer.Deserialize<ReleaseEndpoints.ReleaseList>(body, JsonBody.Options)!;
            await TextTable.WriteAsync(output, ["ID", "VERSION", "SECURITY", "CHANNEL", "STATE", "HARDWARE", "TARGET", "CREATED"],
                list.Items.Select(r => (IReadOnlyList<string>)[r.Id, r.Version, r.SecurityVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    r.Channel, r.State, string.Join(",", r.Hardware), r.TargetPath, TextTable.Time(r.CreatedAt)]));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ShowVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var id = new Argument<string>("id") { Description = "Release id (rel_...)." };
        var command = new Command("show", "Show one release with its hashes and signatures.") { id };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var body = await client.SendAsync(HttpMethod.Get, "api/v1/releases/" + Uri.EscapeDataString(parse.GetRequiredValue(id)), null, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(api.Json))
            {
                await output.WriteLineAsync(body);
                return ExitCodes.Success;
            }
            var r = JsonSerializer.Deserialize<ReleaseEndpoints.ReleaseView>(body, JsonBody.Options)!;
            await output.WriteLineAsync($"Release {r.Id}\n  version          {r.Version}\n  security version {r.SecurityVersion}\n  channel          {r.Channel} (role {r.TargetsRole})\n" +
                $"  state            {r.State}{(r.TargetsVersion is { } v ? $" in {r.TargetsRole} version {v}" : "")}\n  target           {r.TargetPath}\n  length           {r.Length}\n" +
                $"  sha256           {r.Sha256}\n  sha512           {r.Sha512}\n  hardware         {string.Join(", ", r.Hardware)}\n  sbom sha256      {r.SbomSha256 ?? "-"}\n" +
                $"  published        {TextTable.Time(r.CreatedAt)} by {r.CreatedBy}");
            foreach (var s in r.Signatures ?? []) await output.WriteLineAsync($"  signed           {TextTable.Time(s.SignedAt)} by key {s.KeyId} ({s.Role})");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command DraftVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var role = new Option<string>("--role") { Description = "targets or security.", DefaultValueFactory = _ => TufRoles.Targets };
        var output = new Option<string>("--out") { Description = "Where to write the unsigned targets draft.", Required = true, HelpName = "FILE" };
        var command = new Command("draft", "Fetch the next unsigned version of a targets role, with every pending release, for offline signing.") { role, output };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var bytes = await client.SendBytesAsync(HttpMethod.Get, $"api/v1/tuf/roles/{Uri.EscapeDataString(parse.GetRequiredValue(role))}/draft", null, cancellationToken);
            var draft = TufRootCommand.Parse<TargetsMetadata>(bytes, "the draft");
            await File.WriteAllBytesAsync(parse.GetRequiredValue(output), bytes, cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"Wrote {parse.GetRequiredValue(role)} version {draft.Signed.Version} with {draft.Signed.Targets.Count} target(s) to {parse.GetRequiredValue(output)}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command SignVerb(Func<string, string?> env)
    {
        var file = new Argument<string>("file") { Description = "A targets draft (from 'release draft'); signatures are added in place." };
        var keys = new Option<string[]>("--key") { Description = "Signer: encrypted key file or pkcs11: URI; repeat for several.", Required = true, HelpName = "KEY" };
        var keyClass = new Option<string>("--class") { Description = "How the keys are listed in root or the delegation: production, test or development.", DefaultValueFactory = _ => "production" };
        keyClass.AcceptOnlyFromAmong("production", "test", "development");
        var command = new Command("sign", "Sign a targets draft offline (repeat with each release signer's key for a threshold).") { file, keys, keyClass };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var path = parse.GetRequiredValue(file);
            var draft = TufRootCommand.Parse<TargetsMetadata>(await File.ReadAllBytesAsync(path, cancellationToken), path);
            var signers = parse.GetRequiredValue(keys).Select(k => KeysCommand.OpenSigner(k, env)).ToList();
            Core.Releases.ReleaseSigningPolicy.TryParseClass(parse.GetValue(keyClass), out var cls);
            var signed = draft.AddSignatures(signers.Select(s => new Core.Releases.MarkedTufSigner(s, cls)));
            await File.WriteAllBytesAsync(path, signed.ToBytes(), cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{path}: targets version {draft.Signed.Version} now carries {signed.Signatures.Count} signature(s).");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command UploadVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var file = new Argument<string>("file") { Description = "A signed targets file." };
        var role = new Option<string>("--role") { Description = "targets or security.", DefaultValueFactory = _ => TufRoles.Targets };
        var command = new Command("upload", "Upload a targets role signed offline; the server checks threshold, version and signing policy.") { file, role };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(parse.GetRequiredValue(file), cancellationToken));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var body = await client.SendBytesAsync(HttpMethod.Put, $"api/v1/tuf/roles/{Uri.EscapeDataString(parse.GetRequiredValue(role))}", content, cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(api.Json) ? Encoding.UTF8.GetString(body) : $"The server accepted the signed {parse.GetRequiredValue(role)} metadata.");
            return ExitCodes.Success;
        }));
        return command;
    }
}
