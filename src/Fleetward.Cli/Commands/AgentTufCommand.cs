using System.CommandLine;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Tuf;

namespace Fleetward.Cli.Commands;

/// <summary>
/// <c>fleetward agent tuf</c>: a thin front for the device's TUF client, so an operator (or a script on the device) can
/// provision the trusted root, refresh metadata and fetch a verified target. Exit code 0 on success, 1 on any failure.
/// </summary>
public static class AgentTufCommand
{
    public static Command Create(TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var metadataDir = new Option<DirectoryInfo>("--metadata-dir")
        {
            Description = "Directory holding the device's trusted TUF metadata and installed security version", Required = true, Recursive = true,
        };
        var metadataUrl = UrlOption("--metadata-url", "Base URL of the repository's metadata");
        var targetName = new Option<string>("--target-name") { Description = "Target path as listed in targets metadata", Recursive = true };
        var targetBaseUrl = UrlOption("--target-base-url", "Base URL the repository serves targets under");
        var targetDir = new Option<DirectoryInfo>("--target-dir") { Description = "Directory the verified target is written to", Recursive = true };
        var production = new Option<bool>("--production") { Description = "Production device: refuse targets vouched for by test or development keys", Recursive = true };
        var caFile = new Option<FileInfo?>("--ca-file") { Description = "PEM certificate to trust for an https:// repository (e.g. the server's DATA/operator-ca.pem)", Recursive = true };
        var rootFile = new Argument<FileInfo>("ROOT_FILE") { Description = "Initial trusted root.json, obtained out of band" };

        var command = new Command("tuf", "The device's TUF client: verified update metadata and targets (The Update Framework 1.0)");
        foreach (var option in new Option[] { metadataDir, metadataUrl, targetName, targetBaseUrl, targetDir, production, caFile }) command.Options.Add(option);

        var init = new Command("init", "Trust ROOT_FILE as the starting root (it must be signed by its own threshold)");
        init.Arguments.Add(rootFile);
        init.SetAction(parse => Run(parse, () =>
        {
            var store = new TufMetadataDirectory(parse.GetValue(metadataDir)!.FullName);
            var bytes = File.ReadAllBytes(parse.GetValue(rootFile)!.FullName);
            TufUpdater.Initialize(store, bytes, time.GetUtcNow());
            var root = SignedMetadata<RootMetadata>.Parse(bytes).Signed;
            parse.InvocationConfiguration.Output.WriteLine($"trusted root version {root.Version} stored in {store.Path}");
            return Task.CompletedTask;
        }));

        var refresh = new Command("refresh", "Update root, timestamp, snapshot and targets from --metadata-url");
        refresh.SetAction((parse, cancellationToken) => Run(parse, async () =>
        {
            using var http = NewHttpClient(parse.GetValue(caFile));
            var updater = NewUpdater(parse, http, Require(parse, metadataUrl), null, metadataDir, time, parse.GetValue(production));
            var trusted = await updater.RefreshAsync(cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine(
                $"root v{trusted.Root.Signed.Version}, timestamp v{trusted.Timestamp!.Signed.Version}, snapshot v{trusted.Snapshot!.Signed.Version}, targets v{trusted.Targets!.Signed.Version} ({trusted.Targets.Signed.Targets.Count} targets)");
        }));

        var download = new Command("download",
            "Refresh, then fetch --target-name into --target-dir, verifying length, hashes and security version; the installed security version then rises to the target's");
        download.SetAction((parse, cancellationToken) => Run(parse, async () =>
        {
            using var http = NewHttpClient(parse.GetValue(caFile));
            var updater = NewUpdater(parse, http, Require(parse, metadataUrl), Require(parse, targetBaseUrl), metadataDir, time, parse.GetValue(production));
            await updater.RefreshAsync(cancellationToken);
            var target = await updater.FindTargetAsync(Require(parse, targetName), cancellationToken);
            var file = await updater.DownloadTargetAsync(target, Require(parse, targetDir).FullName, cancellationToken);
            updater.RecordInstalled(target);
            parse.InvocationConfiguration.Output.WriteLine($"{target.Path} verified ({target.Info.Length} bytes, security version {target.SecurityVersion}, signed by {target.Role}): {file}");
        }));

        command.Subcommands.Add(init);
        command.Subcommands.Add(refresh);
        command.Subcommands.Add(download);
        return command;
    }

    private static Option<Uri> UrlOption(string name, string description) => new(name)
    {
        Description = description,
        Recursive = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)) return url;
            result.AddError($"{name} must be an absolute http(s) URL, got \"{text}\"");
            return null;
        },
    };

    private static TufUpdater NewUpdater(ParseResult parse, HttpClient http, Uri metadataUrl, Uri? targetBaseUrl,
        Option<DirectoryInfo> metadataDir, TimeProvider time, bool production) =>
        new(new TufMetadataDirectory(parse.GetValue(metadataDir)!.FullName), new HttpTufRepositoryFetcher(http, metadataUrl, targetBaseUrl), time,
            new TufUpdaterOptions { ProductionDevice = production });

    /// <summary>Trusts the system store, or exactly the certificates in <paramref name="caFile"/> (a self-hosted server's own certificate).</summary>
    private static HttpClient NewHttpClient(FileInfo? caFile)
    {
        if (caFile is null) return new HttpClient();
        var trusted = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        trusted.ImportFromPemFile(caFile.FullName);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is not null && ServerCertificateTrust.IsTrusted(
                System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), errors, trusted);
        return new HttpClient(handler);
    }

    private static T Require<T>(ParseResult parse, Option<T> option) =>
        parse.GetValue(option) ?? throw new CommandInputException($"{option.Name} is required for this command");

    private static async Task<int> Run(ParseResult parse, Func<Task> action)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            await action();
            return 0;
        }
        catch (TufTrustException e)
        {
            await error.WriteLineAsync($"refused ({e.Reason}): {e.Message}");
        }
        catch (TufMetadataFormatException e)
        {
            await error.WriteLineAsync($"malformed metadata: {e.Message}");
        }
        catch (Exception e) when (e is CommandInputException or IOException or UnauthorizedAccessException or HttpRequestException or InvalidDataException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
        }
        return 1;
    }

    private sealed class CommandInputException(string message) : Exception(message);
}
