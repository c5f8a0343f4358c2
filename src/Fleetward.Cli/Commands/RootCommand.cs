using System.CommandLine;
using System.Net.Http.Headers;
using Fleetward.Core.Releases;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward root init|rotate|sign|upload`: the root key ceremony, offline. A new root is written unsigned, each root
/// key holder adds a signature with `sign` (m-of-n: the file collects them), and `upload` hands it to the server, which
/// accepts it only as a TUF client would (signed by the old root's threshold and the new root's). Revoking a
/// compromised targets, snapshot or timestamp key is a rotation that lists that role without it.
/// </summary>
public static class TufRootCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        var root = new Command("root", "The TUF root key ceremony: create, rotate, co-sign and upload root metadata.");
        root.Add(InitVerb(env));
        root.Add(RotateVerb(env));
        root.Add(SignVerb(env));
        root.Add(UploadVerb(env));
        return root;
    }

    /// <summary>Key and threshold options for every top-level role, shared by init and rotate.</summary>
    private sealed class RoleOptions
    {
        public readonly Dictionary<string, (Option<string[]> Keys, Option<int?> Threshold)> Roles = TufRoles.TopLevel.ToDictionary(
            role => role,
            role => (new Option<string[]>($"--{role}-key") { Description = $"A {role} public key (FILE.pub.json, key file or pkcs11: URI); repeat for several.", HelpName = "KEY", AllowMultipleArgumentsPerToken = false },
                     new Option<int?>($"--{role}-threshold") { Description = $"Signatures required for {role} (default: 1, or unchanged).", HelpName = "N" }));

        public readonly Option<string> Class = new("--class") { Description = "Mark the listed keys as production, test or development keys (production devices refuse test and development targets).", DefaultValueFactory = _ => "production" };
        public readonly Option<TimeSpan?> Expires = new("--expires") { Description = "Lifetime of the new root, e.g. 365d.", CustomParser = TokenCommand.ParseDuration, HelpName = "DURATION" };
        public readonly Option<string> Out = new("--out") { Description = "Where to write the unsigned root (e.g. 2.root.json).", Required = true, HelpName = "FILE" };

        public void AddTo(Command command)
        {
            Class.AcceptOnlyFromAmong("production", "test", "development");
            foreach (var (keys, threshold) in Roles.Values)
            {
                command.Add(keys);
                command.Add(threshold);
            }
            command.Add(Class);
            command.Add(Expires);
            command.Add(Out);
        }

        public RootMetadata Apply(RootMetadata root, ParseResult parse, Func<string, string?> env, bool requireAll)
        {
            ReleaseSigningPolicy.TryParseClass(parse.GetValue(Class), out var keyClass);
            foreach (var (role, (keysOption, thresholdOption)) in Roles)
            {
                var references = parse.GetValue(keysOption) ?? [];
                var threshold = parse.GetValue(thresholdOption);
                if (references.Length == 0)
                {
                    if (requireAll) throw new UsageException($"--{role}-key is required.");
                    if (threshold is { } changed)
                    {
                        var current = root.RoleKeys(role);
                        root = root.WithRole(role, new TufRoleAssignment([.. current.KeyIds.Select(id => root.Keys[id])], changed));
                    }
                    continue;
                }
                var keys = references.Select(r => SigningKeyMarker.Mark(KeysCommand.ReadPublicKey(r, env), keyClass)).ToList();
                var n = threshold ?? 1;
                if (n < 1 || n > keys.Count) throw new UsageException($"--{role}-threshold must be between 1 and the {keys.Count} key(s) given.");
                root = root.WithRole(role, new TufRoleAssignment(keys, n));
            }
            return root;
        }
    }

    private static Command InitVerb(Func<string, string?> env)
    {
        var options = new RoleOptions();
        var command = new Command("init", "Write version 1 of a new root (unsigned) listing the keys of every role; then sign it with the root keys.");
        options.AddTo(command);
        command.SetAction((parse, _) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var expires = DateTimeOffset.UtcNow + (parse.GetValue(options.Expires) ?? TimeSpan.FromDays(365));
            var empty = new RootMetadata
            {
                Version = 1, Expires = expires, ConsistentSnapshot = true,
                Keys = new Dictionary<string, TufKey>(StringComparer.Ordinal), Roles = new Dictionary<string, TufRoleKeys>(StringComparer.Ordinal),
            };
            var root = options.Apply(empty, parse, env, requireAll: true);
            return await WriteAsync(parse, parse.GetRequiredValue(options.Out), root);
        }));
        return command;
    }

    private static Command RotateVerb(Func<string, string?> env)
    {
        var options = new RoleOptions();
        var api = new OperatorApiOptions { Environment = env };
        var current = new Option<string?>("--current") { Description = "The current root file; without it the current root is fetched from the server.", HelpName = "FILE" };
        var command = new Command("rotate", "Write the next root version (unsigned) with the given roles changed; sign it with the old AND new root keys.") { current };
        options.AddTo(command);
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            byte[] bytes;
            if (parse.GetValue(current) is { } file) bytes = await File.ReadAllBytesAsync(file, cancellationToken);
            else
            {
                using var client = new OperatorApiClient(api.Connection(parse));
                bytes = await client.SendBytesAsync(HttpMethod.Get, "api/v1/tuf/root", null, cancellationToken);
            }
            var root = Parse<RootMetadata>(bytes, "the current root").Signed;
            var next = options.Apply(root, parse, env, requireAll: false) with
            {
                Version = root.Version + 1,
                Expires = DateTimeOffset.UtcNow + (parse.GetValue(options.Expires) ?? TimeSpan.FromDays(365)),
            };
            return await WriteAsync(parse, parse.GetRequiredValue(options.Out), next);
        }));
        return command;
    }

    private static Command SignVerb(Func<string, string?> env)
    {
        var file = new Argument<string>("file") { Description = "The root file to add signatures to (rewritten in place)." };
        var keys = new Option<string[]>("--key") { Description = "Signer: encrypted key file or pkcs11: URI; repeat for several.", Required = true, HelpName = "KEY" };
        var keyClass = new Option<string?>("--class") { Description = "For a key the new root no longer lists (an old root key signing a rotation): the class it was listed with (production, test or development)." };
        keyClass.AcceptOnlyFromAmong("production", "test", "development");
        var command = new Command("sign", "Add signatures to a root file (each root key holder runs this; old and new root keys for a rotation).") { file, keys, keyClass };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var path = parse.GetRequiredValue(file);
            var root = Parse<RootMetadata>(await File.ReadAllBytesAsync(path, cancellationToken), path);
            var signers = parse.GetRequiredValue(keys).Select(k => KeysCommand.OpenSigner(k, env)).ToList();
            SigningKeyClass? fallback = ReleaseSigningPolicy.TryParseClass(parse.GetValue(keyClass), out var parsed) ? parsed : null;
            var signed = root.AddSignatures(signers.Select(s => MarkedAs(s, root.Signed.Keys, fallback)));
            await File.WriteAllBytesAsync(path, signed.ToBytes(), cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"{path}: root version {root.Signed.Version} now carries {signed.Signatures.Count} signature(s); threshold {root.Signed.RoleKeys(TufRoles.Root).Threshold}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command UploadVerb(Func<string, string?> env)
    {
        var file = new Argument<string>("file") { Description = "A signed root file (N.root.json)." };
        var api = new OperatorApiOptions { Environment = env };
        var command = new Command("upload", "Upload a signed root to the server (admin); it is checked as a TUF client checks it.") { file };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(parse.GetRequiredValue(file), cancellationToken));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var body = await client.SendBytesAsync(HttpMethod.Put, "api/v1/tuf/root", content, cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(api.Json) ? System.Text.Encoding.UTF8.GetString(body) : "The server accepted the new root.");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A signer listed in metadata under a class marker signs with that marked key id.</summary>
    public static ITufSigner MarkedAs(ITufSigner signer, IReadOnlyDictionary<string, TufKey> listed, SigningKeyClass? fallback = null)
    {
        foreach (var keyClass in Enum.GetValues<SigningKeyClass>())
        {
            if (listed.ContainsKey(SigningKeyMarker.Mark(signer.PublicKey, keyClass).KeyId)) return new MarkedTufSigner(signer, keyClass);
        }
        return fallback is { } given ? new MarkedTufSigner(signer, given)
            : throw new UsageException($"key {signer.PublicKey.KeyId} is not listed in this root; if it is an old root key signing a rotation, give its --class.");
    }

    public static SignedMetadata<T> Parse<T>(byte[] bytes, string what) where T : TufRoleMetadata, ITufRoleParser<T>
    {
        try
        {
            return SignedMetadata<T>.Parse(bytes);
        }
        catch (Exception e) when (e is TufMetadataFormatException or System.Text.Json.JsonException or TufKeyFormatException)
        {
            throw new UsageException($"{what}: not valid TUF {T.Type} metadata: {e.Message}");
        }
    }

    private static async Task<int> WriteAsync(ParseResult parse, string path, RootMetadata root)
    {
        if (File.Exists(path)) throw new UsageException($"--out {path} already exists; nothing was changed.");
        await File.WriteAllBytesAsync(path, SignedMetadata<RootMetadata>.Create(root, []).ToBytes());
        await parse.InvocationConfiguration.Output.WriteLineAsync(
            $"Wrote unsigned root version {root.Version} to {path}; it needs {root.RoleKeys(TufRoles.Root).Threshold} root signature(s)" +
            (root.Version > 1 ? " under the new root and the threshold of the current root." : "."));
        return ExitCodes.Success;
    }
}
