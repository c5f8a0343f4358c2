using System.CommandLine;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward ca init`: creates the fleet's device CA (offline root + online issuing CA) in a data directory.</summary>
public static class CaCommand
{
    public const string RootPassphraseVariable = "FLEETWARD_CA_PASSPHRASE";

    public static Command Create(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        var ca = new Command("ca", "Manage the device certificate authority.");
        var data = new Option<string>("--data") { Description = "Data directory made by 'fleetward init'.", Required = true };
        var rootKeyOut = new Option<string?>("--root-key-out")
        {
            Description = "Where to write the encrypted root CA key (default DATA/ca-root-key.pem). Move it offline: the server never needs it.",
            HelpName = "FILE",
        };
        var issuingKey = new Option<string?>("--issuing-key")
        {
            Description = "A PKCS#11 URI (pkcs11:token=...;object=...) of an existing EC key in an HSM to use as the issuing CA key; "
                + $"its PIN comes from {CertificateAuthorityConfiguration.PassphraseVariable}. Default: a new key in an encrypted file.",
            HelpName = "URI",
        };
        var init = new Command("init",
            $"Create an offline root CA and an online issuing CA. The root key passphrase comes from {RootPassphraseVariable} or a prompt; "
            + $"the issuing key passphrase (or HSM PIN) from {CertificateAuthorityConfiguration.PassphraseVariable} or a prompt, and the server reads it from that variable.")
        {
            data, rootKeyOut, issuingKey,
        };
        init.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            var directory = new DataDirectory(parseResult.GetRequiredValue(data));
            var pkcs11 = parseResult.GetValue(issuingKey);
            if (pkcs11 is not null && !pkcs11.StartsWith("pkcs11:", StringComparison.Ordinal))
            {
                throw new UsageException($"--issuing-key must be a pkcs11: URI, got '{pkcs11}'.");
            }

            var rootPassphrase = Secret(env, RootPassphraseVariable, "Root CA key passphrase");
            var issuingSecret = Secret(env, CertificateAuthorityConfiguration.PassphraseVariable, pkcs11 is null ? "Issuing CA key passphrase" : "HSM PIN");
            InitializedCertificateAuthority result;
            try
            {
                result = CertificateAuthorityInitializer.Initialize(directory, parseResult.GetValue(rootKeyOut) ?? Path.Combine(directory.Root, "ca-root-key.pem"),
                    rootPassphrase, pkcs11, issuingSecret, DateTimeOffset.UtcNow);
            }
            catch (ArgumentException exception)
            {
                throw new UsageException(exception.Message);
            }
            catch (InvalidOperationException exception)
            {
                throw new UsageException(exception.Message);
            }

            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync($"Device CA created in {directory.Root}.");
            await output.WriteLineAsync($"  root certificate:    {result.RootCertificatePath} (sha256 {result.RootSha256})");
            await output.WriteLineAsync($"  issuing certificate: {result.IssuingCertificatePath}");
            await output.WriteLineAsync($"  issuing key:         {result.IssuingKey}");
            await output.WriteLineAsync($"  root key:            {result.RootKeyPath} (encrypted)");
            await output.WriteLineAsync("");
            await output.WriteLineAsync("Move the root key file offline now; the server never needs it.");
            await output.WriteLineAsync($"Start the server with {CertificateAuthorityConfiguration.PassphraseVariable} set to the issuing key passphrase or PIN.");
            return ExitCodes.Success;
        }));
        ca.Add(init);
        return ca;
    }

    /// <summary>A secret from the environment, else typed at a terminal without echo; never from a file or an option.</summary>
    private static string Secret(Func<string, string?> environment, string variable, string prompt)
    {
        if (environment(variable) is { Length: > 0 } value)
        {
            return value;
        }

        if (Console.IsInputRedirected)
        {
            throw new UsageException($"{prompt}: set {variable} or run in a terminal to be prompted.");
        }

        Console.Error.Write(prompt + ": ");
        var typed = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0)
                {
                    typed.Length--;
                }
            }
            else
            {
                typed.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return typed.ToString();
    }
}
