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
    private PublishedDemoRelease? update;
    private IReadOnlyList<string> robots = [];

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

    private async Task<string> RollOutUpdateAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        update = await DemoReleases.PublishAsync(Api, DemoReleases.Update, cancellation);
        step.Say("published " + Describe(update));
        robots = [.. (await DemoOperatorQueries.DevicesAsync(Api, "active", cancellation)).Where(d => d.Model == DemoReleases.Hardware).Select(d => d.Id)];
        var request = DemoRolloutPlan.Staged(UpdateRolloutId, update, robots);
        var started = await DemoOperatorQueries.CreateAndStartAsync(Api, request, cancellation);
        SayPlan(step, started);
        var bars = RingBars(step, started);
        var done = await DemoWait.UntilAsync($"every robot installing {update.View.Version}", RolloutTimeout,
            c => DemoOperatorQueries.RolloutAsync(Api, UpdateRolloutId, c),
            r => r.Status is "aborted" or "paused" or "cancelled" || (r.Status == "completed" && Finished(r)),
            DemoOperatorQueries.Describe, r => MoveBars(bars, r), cancellation);
        DemoClaimException.That(done.Status == "completed" && done.Devices["succeeded"] == robots.Count,
            $"{done.Devices["succeeded"]} of {robots.Count} robots updated: {DemoOperatorQueries.Describe(done)}");
        for (var ring = 1; ring < done.Rings.Count; ring++)
        {
            var previous = done.Rings[ring - 1];
            DemoClaimException.That(done.Rings[ring].ActivatedAt >= previous.FinishedAt,
                $"ring {ring} opened at {done.Rings[ring].ActivatedAt:O}, before ring {ring - 1} passed at {previous.FinishedAt:O}");
        }
        var canary = done.Rings[0];
        var soaked = (canary.FinishedAt - canary.SoakStartedAt)?.TotalSeconds ?? 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"all {robots.Count} robots run {update.View.Version}: the canary's {canary.TargetDevices} passed and soaked {soaked:0} s before the next ring opened; {done.Devices["failed"]} failed.");
    }

    private async Task<string> HaltFaultyReleaseAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        var faulty = await DemoReleases.PublishAsync(Api, DemoReleases.Faulty, cancellation);
        step.Say("published " + Describe(faulty));
        var request = DemoRolloutPlan.Gated(FaultyRolloutId, faulty, robots);
        var started = await DemoOperatorQueries.CreateAndStartAsync(Api, request, cancellation);
        SayPlan(step, started);
        var canarySize = started.Rings[0].TargetDevices;
        var failedBar = step.Bar("canary failed its health check", canarySize);
        var halted = await DemoWait.UntilAsync($"the health gate halting {faulty.View.Version}", RolloutTimeout,
            c => DemoOperatorQueries.RolloutAsync(Api, FaultyRolloutId, c),
            r => r.Status is not ("running" or "draft"),
            DemoOperatorQueries.Describe, r => failedBar.Update(r.Rings[0].Failed), cancellation);
        DemoClaimException.That(halted.Status == "aborted" && halted.StatusReason == "error-threshold",
            $"the rollout ended {halted.Status} ({halted.StatusReason}), not aborted by the health gate: {DemoOperatorQueries.Describe(halted)}");
        step.Say(string.Create(CultureInfo.InvariantCulture,
            $"health gate tripped: {halted.Rings[0].Failed} of the canary's {canarySize} robots failed their health check after booting {faulty.View.Version}; rollout aborted"));

        var returnBar = step.Bar("canary back on " + update!.View.Version, canarySize);
        var settled = await DemoWait.UntilAsync("the canary returning to the previous release", RolloutTimeout,
            c => DemoOperatorQueries.RolloutAsync(Api, FaultyRolloutId, c),
            Finished,
            DemoOperatorQueries.Describe,
            r => returnBar.Update(r.Devices["failed"] + r.Devices["rolled-back"] + r.Devices["withdrawn"]), cancellation);
        var beyondCanary = settled.Rings.Skip(1).Sum(ring => ring.Devices.Values.Sum());
        DemoClaimException.That(beyondCanary == 0, $"{beyondCanary} robot(s) outside the canary were given {faulty.View.Version}");
        DemoClaimException.That(settled.Devices["succeeded"] == 0, $"{settled.Devices["succeeded"]} robot(s) kept {faulty.View.Version}");
        var assignments = await DemoOperatorQueries.AssignmentsAsync(Api, FaultyRolloutId, [], cancellation);
        // Back means: fell back to the old slot by itself, returned when ordered, withdrawn or failed before installing anything.
        var notBack = assignments.Where(a => a.Status is not ("rolled-back" or "withdrawn" or "failed")
            || a.FailureReason?.StartsWith(Fleetward.Core.Rollouts.DeviceFailureReasons.RollbackFailedPrefix, StringComparison.Ordinal) == true).ToList();
        DemoClaimException.That(notBack.Count == 0, $"{notBack.Count} canary robot(s) did not return: {string.Join(", ", notBack.Select(a => $"{a.DeviceId} {a.Status} {a.FailureReason}"))}");
        var fellBack = assignments.Where(a => a.Status == "rolled-back" && a.RollbackOrderedAt is null).ToList();
        var ordered = assignments.Count(a => a.Status == "rolled-back" && a.RollbackOrderedAt is not null);
        var reason = fellBack.GroupBy(a => a.FailureReason).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        return string.Create(CultureInfo.InvariantCulture,
            $"{faulty.View.Version} halted in the canary: {fellBack.Count} robot(s) fell back to their old slot on their own{(reason is null ? "" : $" ('{reason}')")}, "
            + $"{ordered} returned when ordered, {assignments.Count(a => a.Status is "withdrawn" or "failed")} never installed it; "
            + $"none of the other {robots.Count - canarySize} robots was offered it.");
    }

    private const string FaultyRolloutId = "demo-faulty-1.2.0";

    private static readonly TimeSpan RolloutTimeout = TimeSpan.FromMinutes(3);

    private const string UpdateRolloutId = "demo-update-1.1.0";

    /// <summary>No assignment is still moving (assigned ... verifying, or ordered back).</summary>
    private static bool Finished(Fleetward.Server.Rollouts.RolloutView rollout) =>
        new[] { "assigned", "downloading", "downloaded", "installing", "rebooting", "verifying", "rollback-pending" }.All(state => rollout.Devices[state] == 0);

    private static void SayPlan(IDemoStepContext step, Fleetward.Server.Rollouts.RolloutView rollout)
    {
        var rings = rollout.Rings.Select(ring => string.Create(CultureInfo.InvariantCulture,
            $"{RingName(ring.Index)} {ring.TargetDevices} robot(s) ({ring.CumulativePercent:0.##} %{(ring.MinimumSoakSeconds > 0 ? $", soak {ring.MinimumSoakSeconds} s" : "")})"));
        var threshold = rollout.ErrorThreshold;
        step.Say($"rollout {rollout.Id}: " + string.Join(" -> ", rings));
        step.Say(string.Create(CultureInfo.InvariantCulture,
            $"health gate: {threshold.Action} when {threshold.FailedPercent:0.##} % of a ring's finished robots fail (from {threshold.MinimumFinished} finished)"));
    }

    private static string RingName(int index) => index == 0 ? "canary" : $"ring {index + 1}";

    private static IReadOnlyList<IDemoBar> RingBars(IDemoStepContext step, Fleetward.Server.Rollouts.RolloutView rollout) =>
        [.. rollout.Rings.Select(ring => step.Bar($"{RingName(ring.Index)} updated", ring.TargetDevices))];

    private static void MoveBars(IReadOnlyList<IDemoBar> bars, Fleetward.Server.Rollouts.RolloutView rollout)
    {
        foreach (var ring in rollout.Rings)
        {
            bars[ring.Index].Update(ring.Succeeded);
        }
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
        console.WriteLine($"  dashboard:   {new Uri(Plane.OperatorUrl, Fleetward.Server.Endpoints.DashboardEndpoints.BasePath + "/")}");
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
