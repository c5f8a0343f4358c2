using System.CommandLine;
using System.Text.Json.Nodes;
using Fleetward.Core.Releases;
using Fleetward.Server.Updates;
using Fleetward.Trust.Crypto;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward keys generate|show`: TUF signing keys for the offline roles (root, targets, security channel). A key is
/// an encrypted PKCS#8 file or a PKCS#11 URI; commands that sign take either as a signer reference.
/// </summary>
public static class KeysCommand
{
    public const string PassphraseVariable = "FLEETWARD_KEY_PASSPHRASE";
    public const string PinVariable = "FLEETWARD_PKCS11_PIN";

    public static Command Create(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        var keys = new Command("keys", "Generate and inspect TUF signing keys (file keystore or PKCS#11).");
        keys.Add(GenerateVerb(env));
        keys.Add(ShowVerb(env));
        return keys;
    }

    private static Command GenerateVerb(Func<string, string?> env)
    {
        var type = new Option<string>("--type") { Description = "Key type: ed25519 or ecdsa (P-256; the type HSMs hold).", DefaultValueFactory = _ => "ed25519" };
        type.AcceptOnlyFromAmong("ed25519", "ecdsa");
        var output = new Option<string>("--out") { Description = "Private key file to create (mode 0600); the public key goes to FILE.pub.json.", Required = true, HelpName = "FILE" };
        var unencrypted = new Option<bool>("--unencrypted") { Description = "Write the key without a passphrase (online keys the server loads at start only)." };
        var iterations = new Option<int>("--iterations") { Description = "PBKDF2 iterations for the encrypted file.", DefaultValueFactory = _ => TufKeyFile.DefaultIterations, Hidden = true };
        var command = new Command("generate", $"Generate a key; the passphrase comes from {PassphraseVariable} or a prompt.") { type, output, unencrypted, iterations };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            var path = parseResult.GetRequiredValue(output);
            if (File.Exists(path)) throw new UsageException($"--out {path} already exists; nothing was changed.");
            var material = TufKeyFile.Generate(parseResult.GetRequiredValue(type));
            var passphrase = parseResult.GetValue(unencrypted) ? "" : NewPassphrase(env);
            TufKeyFile.Write(path, material, passphrase, parseResult.GetValue(iterations));
            var publicJson = material.Signer.PublicKey.ToJson().ToJsonString();
            await File.WriteAllTextAsync(path + ".pub.json", publicJson + "\n");
            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"Key {material.Signer.PublicKey.KeyId} ({material.Signer.PublicKey.Scheme}) written to {path}; public key in {path}.pub.json.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ShowVerb(Func<string, string?> env)
    {
        var reference = new Argument<string>("key") { Description = "Key file or pkcs11: URI." };
        var keyClass = new Option<string>("--class") { Description = "Show the key as listed for a production, test or development repository.", DefaultValueFactory = _ => "production" };
        keyClass.AcceptOnlyFromAmong("production", "test", "development");
        var command = new Command("show", "Print a key's public TUF key object and key id.") { reference, keyClass };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            var signer = OpenSigner(parseResult.GetRequiredValue(reference), env);
            ReleaseSigningPolicy.TryParseClass(parseResult.GetValue(keyClass), out var cls);
            var key = SigningKeyMarker.Mark(signer.PublicKey, cls);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync(new JsonObject { ["keyid"] = key.KeyId, ["key"] = key.ToJson() }.ToJsonString());
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Opens a signer reference (key file or pkcs11: URI); the passphrase or PIN comes from the environment or a prompt.</summary>
    public static ITufSigner OpenSigner(string reference, Func<string, string?> env)
    {
        try
        {
            return reference.StartsWith("pkcs11:", StringComparison.Ordinal)
                ? TufKeyFile.Open(reference, () => env(PinVariable) ?? Prompt($"PIN for {reference}: "))
                : TufKeyFile.Open(reference, () => env(PassphraseVariable) ?? Prompt($"Passphrase for {reference}: "));
        }
        catch (Exception e) when (e is TufKeyFileException or FormatException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Reads a public TUF key: a FILE.pub.json written by generate, or a private key file / pkcs11: URI.</summary>
    public static TufKey ReadPublicKey(string reference, Func<string, string?> env)
    {
        if (reference.EndsWith(".json", StringComparison.Ordinal))
        {
            try
            {
                return TufKey.Parse(JsonNode.Parse(File.ReadAllText(reference)), reference);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or TufKeyFormatException)
            {
                throw new UsageException($"{reference}: not a TUF public key: {e.Message}");
            }
        }
        return OpenSigner(reference, env).PublicKey;
    }

    private static string NewPassphrase(Func<string, string?> env)
    {
        var fromEnv = env(PassphraseVariable);
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        var first = Prompt("New passphrase: ");
        if (Prompt("Repeat passphrase: ") != first) throw new UsageException("the passphrases differ; nothing was written.");
        if (string.IsNullOrWhiteSpace(first)) throw new UsageException("the passphrase must not be empty (use --unencrypted for online keys).");
        return first;
    }

    private static string Prompt(string label)
    {
        if (Console.IsInputRedirected) throw new UsageException($"a secret is needed ({label.TrimEnd(' ', ':')}) but there is no terminal; set {PassphraseVariable} or {PinVariable}.");
        Console.Error.Write(label);
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; continue; }
            text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
