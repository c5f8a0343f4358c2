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
        release.Add(DelegateVerb(env));
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
            var body = await PublishAsync(client, artifact, Path.GetFileName(path),
                parse.GetRequiredValue(version), parse.GetValue(securityVersion), parse.GetRequiredValue(hardware), parse.GetRequiredValue(channel), sbomSha256, cancellationToken);
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

    /// <summary>
    /// What `release publish` does, for every caller (the verb, `fleetward demo`): uploads the artifact, then publishes it
    /// as a release by its SHA-256. Returns the server's release JSON.
    /// </summary>
    /// <exception cref="OperatorApiException">The server refused the upload or the release.</exception>
    public static async Task<string> PublishAsync(OperatorApiClient client, Stream artifact, string fileName, string version, long securityVersion,
        IReadOnlyList<string> hardware, string channel, string? sbomSha256, CancellationToken cancellationToken)
    {
        var content = new StreamContent(artifact);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var uploaded = JsonSerializer.Deserialize<ReleaseEndpoints.ArtifactView>(
            await client.SendBytesAsync(HttpMethod.Post, "api/v1/releases/artifacts", content, cancellationToken), JsonBody.Options)!;
        return await client.SendAsync(HttpMethod.Post, "api/v1/releases",
            new PublishReleaseRequest(uploaded.Sha256, fileName, version, securityVersion, hardware, channel, sbomSha256), cancellationToken);
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

    private static Command DelegateVerb(Func<string, string?> env)
    {
        var file = new Argument<string>("file") { Description = "A targets draft (from 'release draft --role targets'); rewritten unsigned." };
        var role = new Option<string>("--role") { Description = "The delegated role whose keys change.", DefaultValueFactory = _ => ReleaseTarget.SecurityRole };
        var keys = new Option<string[]>("--key") { Description = "A public key of the role (FILE.pub.json, key file or pkcs11: URI); repeat for several.", Required = true, HelpName = "KEY" };
        var threshold = new Option<int>("--threshold") { Description = "Signatures the role needs.", DefaultValueFactory = _ => 1 };
        var keyClass = new Option<string>("--class") { Description = "How the keys are listed: production, test or development.", DefaultValueFactory = _ => "production" };
        keyClass.AcceptOnlyFromAmong("production", "test", "development");
        var command = new Command("delegate",
            "Set the keys of a delegated targets role (the security channel) in a targets draft, e.g. to rotate or revoke the security key; then sign and upload the draft, and sign the role anew with its new key.")
            { file, role, keys, threshold, keyClass };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var path = parse.GetRequiredValue(file);
            var draft = TufRootCommand.Parse<TargetsMetadata>(await File.ReadAllBytesAsync(path, cancellationToken), path).Signed;
            Core.Releases.ReleaseSigningPolicy.TryParseClass(parse.GetValue(keyClass), out var cls);
            var publicKeys = parse.GetRequiredValue(keys).Select(k => Core.Releases.SigningKeyMarker.Mark(KeysCommand.ReadPublicKey(k, env), cls)).ToList();
            var n = parse.GetValue(threshold);
            if (n < 1 || n > publicKeys.Count) throw new UsageException($"--threshold must be between 1 and the {publicKeys.Count} key(s) given.");
            var name = parse.GetRequiredValue(role);
            var delegations = draft.Delegations ?? new TufDelegations { Keys = new Dictionary<string, Trust.Crypto.TufKey>(), Roles = [] };
            var existing = delegations.Roles.FirstOrDefault(r => r.Name == name);
            var updated = new DelegatedRole
            {
                Name = name,
                Keys = new TufRoleKeys([.. publicKeys.Select(k => k.KeyId).Distinct()], n),
                Terminating = existing?.Terminating ?? name == ReleaseTarget.SecurityRole,
                Paths = existing is null ? (name == ReleaseTarget.SecurityRole ? ReleaseTarget.SecurityPaths : null) : existing.Paths,
                PathHashPrefixes = existing?.PathHashPrefixes,
            };
            if (updated.Paths is null && updated.PathHashPrefixes is null) throw new UsageException($"role '{name}' is not delegated in this draft; only existing delegations and the security role can be set.");
            var roles = delegations.Roles.Select(r => r.Name == name ? updated : r).ToList();
            if (existing is null) roles.Add(updated);
            var usedKeys = roles.SelectMany(r => r.Keys.KeyIds).ToHashSet(StringComparer.Ordinal);
            var allKeys = delegations.Keys.Values.Concat(publicKeys).Where(k => usedKeys.Contains(k.KeyId)).DistinctBy(k => k.KeyId).ToDictionary(k => k.KeyId, StringComparer.Ordinal);
            var changed = draft with { Delegations = new TufDelegations { Keys = allKeys, Roles = roles } };
            await File.WriteAllBytesAsync(path, SignedMetadata<TargetsMetadata>.Create(changed, []).ToBytes(), cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"{path}: role '{name}' now needs {n} of {publicKeys.Count} key(s); the draft is unsigned again, sign it with the targets keys.");
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
