using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>What the user asked of the demo.</summary>
/// <param name="Devices">Simulated robots to enroll.</param>
/// <param name="Keep">Leave everything running afterwards, until Ctrl-C.</param>
public sealed record DemoSettings(int Devices, bool Keep);

/// <summary>
/// The story `fleetward demo` tells, step by step, each checked through the operator API before it is narrated:
/// a data directory and keys, the control plane, signed releases, and so on up to the security receipts. Owns what it
/// starts and stops it all at the end, unless asked to keep it running.
/// </summary>
public sealed class DemoStory : IAsyncDisposable
{
    private readonly DemoSettings settings;
    private readonly DemoNarrator narrator;
    private DemoControlPlane? plane;
    private OperatorApiClient? api;
    private PublishedDemoRelease? factory;

    private DemoStory(DemoSettings settings, DemoNarrator narrator)
    {
        this.settings = settings;
        this.narrator = narrator;
    }

    private DemoControlPlane Plane => plane ?? throw new InvalidOperationException("The control plane step has not run.");

    private OperatorApiClient Api => api ?? throw new InvalidOperationException("The control plane step has not run.");

    /// <summary>Tells the story; returns the process exit code (0 only when every step happened as narrated).</summary>
    public static async Task<int> RunAsync(DemoSettings settings, DemoNarrator narrator, CancellationToken cancellationToken)
    {
        var console = narrator.Console;
        narrator.Heading("Fleetward demo");
        console.WriteLine($"A control plane and {settings.Devices} simulated robots on this machine, loopback only. Every result below was observed through the operator API.");
        var clock = Stopwatch.StartNew();
        await using var story = new DemoStory(settings, narrator);
        var report = await narrator.RunAsync(story.Steps(), cancellationToken);
        console.WriteLine();
        var elapsed = clock.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        if (!report.Succeeded)
        {
            var failed = report.Steps.Count;
            console.MarkupLine($"[red bold]The demo stopped at step {failed} of {report.Planned}[/] after {elapsed} s: that step did not happen as narrated.");
            if (story.plane is { } kept)
            {
                kept.KeepDirectory = true;
                console.WriteLine($"The server log and data directory are kept in {kept.Root}.");
            }
            return ExitCodes.Failure;
        }
        console.MarkupLine($"[green bold]All {report.Planned} steps happened as narrated[/], in {elapsed} s.");
        if (settings.Keep)
        {
            await story.KeepRunningAsync(cancellationToken);
        }
        return ExitCodes.Success;
    }

    private IReadOnlyList<DemoStep> Steps() =>
    [
        new("Create a data directory and keys", CreateDataDirectoryAsync),
        new("Start the control plane", StartControlPlaneAsync),
        new("Publish the factory release, signed through TUF", PublishFactoryReleaseAsync),
    ];

    private async Task<string> CreateDataDirectoryAsync(IDemoStepContext step)
    {
        plane = await DemoControlPlane.InitializeAsync(step.Cancellation);
        step.Say($"data directory {plane.Directory.Root}");
        step.Say("operator TLS certificate, audit log key, command signing key, development TUF keys (root, targets, snapshot, timestamp)");
        step.Say($"device CA: offline root (sha256 {plane.CertificateAuthority.RootSha256[..16]}...) and online issuing CA");
        return "SQLite store initialised with one admin token; the root CA key is encrypted and never loaded by the server.";
    }

    private async Task<string> StartControlPlaneAsync(IDemoStepContext step)
    {
        await Plane.StartAsync(step.Cancellation);
        api = Plane.OperatorClient();
        using var ready = JsonDocument.Parse(await Api.SendAsync(HttpMethod.Get, "readyz", null, step.Cancellation));
        var status = ready.RootElement.GetProperty("status").GetString();
        DemoClaimException.That(status == "ready", $"/readyz answered '{status}'");
        step.Say($"operator API and dashboard: {Plane.OperatorUrl} (bearer tokens, certificate pinned by the demo)");
        step.Say($"device listener:           {Plane.DeviceUrl} (mutual TLS 1.3, certificates from the device CA)");
        return $"server ready, store {ready.RootElement.GetProperty("store").GetString()}.";
    }

    private async Task<string> PublishFactoryReleaseAsync(IDemoStepContext step)
    {
        factory = await DemoReleases.PublishAsync(Api, DemoReleases.Factory, step.Cancellation);
        return Describe(factory);
    }

    private static string Describe(PublishedDemoRelease published) =>
        string.Create(CultureInfo.InvariantCulture,
            $"release {published.View.Version} ({published.Release.Role}, security version {published.View.SecurityVersion}) is TUF target {published.View.TargetPath}, "
            + $"{published.View.Length / 1024} KiB, sha256 {published.View.Sha256[..12]}..., signed by {published.View.Signatures!.Count} key(s).");

    private async Task KeepRunningAsync(CancellationToken cancellationToken)
    {
        var console = narrator.Console;
        console.WriteLine();
        console.MarkupLine("[bold]Kept running[/] (Ctrl-C stops everything and removes the demo's data directory):");
        console.WriteLine($"  dashboard:   {new Uri(Plane.OperatorUrl, Fleetward.Server.Endpoints.DashboardEndpoints.BasePath)}");
        console.WriteLine($"  admin token: {Plane.Initialized.AdminToken}");
        console.WriteLine($"  CLI:         export FLEETWARD_SERVER={Plane.OperatorUrl} FLEETWARD_TOKEN={Plane.Initialized.AdminToken} FLEETWARD_CA_FILE={Plane.Directory.OperatorCaPath}");
        console.WriteLine("  The browser will warn about the server's self-signed certificate; it is the one in FLEETWARD_CA_FILE.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            console.WriteLine("Stopping.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        api?.Dispose();
        if (plane is not null)
        {
            await plane.DisposeAsync();
        }
    }
}
