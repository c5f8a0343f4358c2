using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Tuf;
using Fleetward.Cli.Commands;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Updates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Integration.Tests.TufServer;

/// <summary>A clock the test moves; the server signs metadata with it.</summary>
public sealed class SettableClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// A real Fleetward server made by `fleetward init` in a temporary data directory (development key set) and running
/// on 127.0.0.1, with the CLI, the agent's TUF client and the tuf-js client pointed at it.
/// </summary>
public sealed class TufServerHarness : IAsyncDisposable
{
    private readonly ControlPlane _plane;

    private TufServerHarness(string root, ControlPlane plane, SettableClock clock, string adminToken)
    {
        Root = root;
        _plane = plane;
        Clock = clock;
        AdminToken = adminToken;
        Data = new DataDirectory(Path.Combine(root, "data"));
        Updates = new UpdatesDirectory(Data.Root);
    }

    public string Root { get; }
    public DataDirectory Data { get; }
    public UpdatesDirectory Updates { get; }
    public SettableClock Clock { get; }
    public string AdminToken { get; }
    public Uri DeviceAddress => _plane.Server.DeviceAddress;
    public Uri MetadataUrl => new(DeviceAddress, "tuf/metadata/");
    public Uri TargetsUrl => new(DeviceAddress, "tuf/targets/");
    public TufRepositoryService Repository => _plane.Server.Services.GetRequiredService<TufRepositoryService>();

    /// <summary>Environment the CLI sees: passphrases for test keys.</summary>
    public Dictionary<string, string> Environment { get; } = new() { [KeysCommand.PassphraseVariable] = "correct horse battery staple" };

    public static async Task<TufServerHarness> StartAsync(DateTimeOffset? clockStart = null, Func<UpdatesDirectory, UpdatesSettings, UpdatesSettings>? settings = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "fleetward-tufsrv-" + Guid.NewGuid().ToString("N"));
        var data = new DataDirectory(Path.Combine(root, "data"));
        var clock = new SettableClock(clockStart ?? DateTimeOffset.UtcNow);
        var loopback = new Uri("https://127.0.0.1:0");
        var init = await DataDirectoryInitializer.InitializeAsync(data, loopback, loopback, null, clock, CancellationToken.None);
        if (settings is not null)
        {
            var updates = new UpdatesDirectory(data.Root);
            settings(updates, UpdatesSettings.Load(updates)).Save(updates);
        }
        var plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(), new FleetwardServerSetup
        {
            Time = clock,
            ConfigureLogging = logging => logging.ClearProviders(),
        }, CancellationToken.None);
        return new TufServerHarness(root, plane, clock, init.AdminToken);
    }

    /// <summary>Runs a CLI verb against the server (operator options appended when <paramref name="operatorCall"/>).</summary>
    public async Task<(int Code, string Output, string Error)> CliAsync(bool operatorCall, params string[] args)
    {
        string? Env(string name) => Environment.GetValueOrDefault(name);
        var root = new RootCommand { KeysCommand.Create(Env), TufRootCommand.Create(Env), ReleaseCommand.Create(Env) };
        var all = operatorCall
            ? args.Concat(["--server", _plane.Server.OperatorAddress.AbsoluteUri, "--token", AdminToken, "--ca-file", Data.OperatorCaPath]).ToArray()
            : args;
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(all).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    public async Task<string> PublishAsync(string fileName, byte[] content, string version, long securityVersion, string channel = "stable")
    {
        var file = Path.Combine(Root, fileName);
        await File.WriteAllBytesAsync(file, content);
        var result = await CliAsync(true, "release", "publish", file, "--version", version, "--security-version", securityVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--hardware", "robot-a", "--channel", channel, "--json");
        Assert.True(result.Code == 0, result.Error + result.Output);
        return result.Output;
    }

    /// <summary>An HTTP client for the device listener that trusts the server certificate `init` made, and no client certificate.</summary>
    public HttpClient DeviceHttp()
    {
        var trusted = X509CertificateLoader.LoadCertificateFromFile(Data.OperatorCaPath);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString();
        return new HttpClient(handler);
    }

    /// <summary>A fresh device: its TUF metadata directory provisioned with the first root `init` wrote.</summary>
    public (TufUpdater Updater, HttpClient Http) NewDevice(TimeProvider time, bool production = false)
    {
        var store = new TufMetadataDirectory(Path.Combine(Root, "device-" + Guid.NewGuid().ToString("N")));
        TufUpdater.Initialize(store, File.ReadAllBytes(DevelopmentKeySet.RootFilePath(Updates)), time.GetUtcNow());
        var http = DeviceHttp();
        return (new TufUpdater(store, new HttpTufRepositoryFetcher(http, MetadataUrl, TargetsUrl), time, new TufUpdaterOptions { ProductionDevice = production }), http);
    }

    /// <summary>Runs tests/interop/tuf-js/client.js against the server; tuf-js trusts the server certificate through NODE_EXTRA_CA_CERTS.</summary>
    public (int Code, string Output, string Error) TufJs(Tuf.TufJsEnvironment tufJs, string targetName)
    {
        var metadataDir = Path.Combine(Root, "tufjs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(metadataDir);
        File.Copy(DevelopmentKeySet.RootFilePath(Updates), Path.Combine(metadataDir, "root.json"));
        var start = new ProcessStartInfo("node") { WorkingDirectory = tufJs.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "client.js", metadataDir, MetadataUrl.AbsoluteUri.TrimEnd('/'), TargetsUrl.AbsoluteUri, Path.Combine(metadataDir, "targets"), targetName })
            start.ArgumentList.Add(arg);
        start.Environment["NODE_EXTRA_CA_CERTS"] = Data.OperatorCaPath;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("tuf-js did not finish");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    public async ValueTask DisposeAsync()
    {
        await _plane.StopAsync(CancellationToken.None);
        await _plane.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
