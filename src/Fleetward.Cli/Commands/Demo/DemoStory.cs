using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleetward.Core.Receipts;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Rollouts;
using Fleetward.Simulator.Drills;
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
    private DemoFleet? fleet;
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

    private DemoFleet Fleet => fleet ?? throw new InvalidOperationException("The enrollment step has not run.");

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
        new($"Enroll {settings.Devices} simulated robots", EnrollFleetAsync),
        new($"Roll out update {DemoReleases.Update.Version} through a canary ring", RollOutUpdateAsync),
        new($"Roll out faulty release {DemoReleases.Faulty.Version}: the health gate halts it", HaltFaultyReleaseAsync),
        new("A robot turns Mirai-like: detected and quarantined", ContainMiraiAsync),
        new($"A downgrade to {DemoReleases.Factory.Version} is refused", RefuseDowngradeAsync),
        new("Security receipts", ShowReceiptsAsync),
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

    private async Task<string> EnrollFleetAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        fleet = await DemoFleet.CreateAsync(Plane, settings.Devices, cancellation);
        step.Say($"{settings.Devices} lawn mowers ({DemoReleases.Model.Model}), each a real agent with its own key, factory certificate (IDevID), TUF root and A/B slots");
        var enrolledBar = step.Bar("enrolled over EST", settings.Devices);
        var checkedInBar = step.Bar("checked in over mutual TLS", settings.Devices);
        void Tick()
        {
            var counters = Fleet.Simulator.Counters();
            enrolledBar.Update(counters.Enrolled);
            checkedInBar.Update(counters.CheckedIn);
        }
        var enrolled = await DemoWait.WhileAsync(Fleet.Simulator.EnrollAsync(cancellation), Tick);
        DemoClaimException.That(enrolled == settings.Devices, $"{enrolled} of {settings.Devices} robots enrolled");
        Fleet.Start();
        await DemoWait.UntilAsync("every robot checking in", TimeSpan.FromSeconds(60) + DemoFleet.Interval * 2,
            _ => Task.FromResult(Fleet.Simulator.Counters()), counters => counters.CheckedIn == settings.Devices,
            counters => $"{counters.CheckedIn} of {settings.Devices} checked in, {counters.Errors} error(s)", _ => Tick(), cancellation);

        var registry = await DemoOperatorQueries.DevicesAsync(Api, null, cancellation);
        var active = registry.Where(device => device.State == "active" && device.LastSeenAt is not null).ToList();
        DemoClaimException.That(active.Count == settings.Devices,
            $"the registry lists {registry.Count} device(s), {active.Count} of them active and seen; expected {settings.Devices}");
        robots = [.. active.Select(device => device.Id)];
        var serials = await DemoOperatorQueries.CertificateSerialsAsync(Api, robots, cancellation);
        var without = robots.Where(id => serials[id].Count == 0).ToList();
        DemoClaimException.That(without.Count == 0, $"{without.Count} robot(s) hold no certificate: {string.Join(", ", without.Take(5))}");
        var all = serials.Values.SelectMany(list => list).ToList();
        var distinct = all.Distinct(StringComparer.Ordinal).Count();
        DemoClaimException.That(distinct == all.Count, $"{all.Count} certificates but only {distinct} distinct serials");
        return $"the registry lists {active.Count} active robots, all seen over mutual TLS, each with its own certificate ({distinct} distinct serials).";
    }

    private async Task<string> RollOutUpdateAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        update = await DemoReleases.PublishAsync(Api, DemoReleases.Update, cancellation);
        step.Say("published " + Describe(update));
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
        // The fault: on every robot, the health check after the trial boot of this release fails (the A/B slot falls back).
        var marked = await new BadReleaseDrill { Version = faulty.View.Version, FailingShare = 1.0, StartRollout = false }
            .RunAsync(DrillContext.RealTime(Fleet.Simulator, Fleet.Operator), cancellation);
        DemoClaimException.That(marked.Verdict == DrillVerdict.Defended, $"the simulator could not make {faulty.View.Version} faulty: {marked.Summary}");
        step.Say($"{faulty.View.Version} fails its post-boot health check on every robot ({marked.Devices.Count} marked)");
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

        var given = halted.Devices.Values.Sum();
        var returnBar = step.Bar($"robots given {faulty.View.Version} back on {update!.View.Version}", given);
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
        step.Say(reason is null ? "no robot fell back on its own" : $"health check: '{reason}'");
        return string.Create(CultureInfo.InvariantCulture,
            $"{faulty.View.Version} halted in the canary of {canarySize} robots (failed the health check and fell back by themselves: {fellBack.Count}, "
            + $"ordered back and returned: {ordered}, never installed it: {canarySize - fellBack.Count - ordered}); none of the other {robots.Count - canarySize} robots was offered it.");
    }

    private async Task<string> ContainMiraiAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        var target = robots[robots.Count / 3];
        step.Say($"{target} is infected: telnet scans to 30 addresses on ports 23/2323, its ssh port taken over, the bot running from a deleted executable");
        var bar = step.Bar("incident, quarantine, credentials revoked", 3);
        var context = DrillContext.RealTime(Fleet.Simulator, Fleet.Operator) with { TargetDevice = target, Patience = ContainmentTimeout };
        using var drillStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var drill = new MiraiInfectionDrill().RunAsync(context, drillStop.Token);
        var contained = await DemoWait.UntilAsync($"{target} being detected, quarantined and cut off", ContainmentTimeout,
            c => DemoContainment.ObserveAsync(Api, target, c), seen => seen.Stages == 3, seen => seen.Describe(),
            seen => bar.Update(seen.Stages), cancellation);
        // The drill also waits for the agent to isolate itself, which a revoked certificate may prevent: give it two command rounds.
        drillStop.CancelAfter(DemoFleet.ReportInterval * 2);
        try
        {
            var report = await drill;
            DemoClaimException.That(report.Defended, $"the simulator's drill says: {report.Verdict} ({report.Summary})");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
        }
        var incident = await Api.GetAsync<IncidentEndpoints.IncidentDetail>("api/v1/incidents/" + Uri.EscapeDataString(contained.Incident!.Id), cancellation);
        var containedAfter = incident.ContainedAt is { } at ? (at - incident.DetectedAt).TotalSeconds : (double?)null;
        step.Say($"incident {incident.Id}: {incident.Summary}");
        step.Say($"signals: {string.Join(", ", incident.Signals)}");
        step.Say("signed commands queued for its agent: " + string.Join(", ", contained.Commands.Select(command => $"{command.Kind} ({command.Status})")));
        var later = containedAfter is { } seconds ? string.Create(CultureInfo.InvariantCulture, $" {seconds:0.0} s later") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{target} detected {incident.TimeToDetectSeconds:0.0} s after its first infected telemetry sample, quarantined{later} by the automatic playbook, and its certificate revoked.");
    }

    private static readonly TimeSpan ContainmentTimeout = TimeSpan.FromMinutes(2);

    private async Task<string> RefuseDowngradeAsync(IDemoStepContext step)
    {
        var cancellation = step.Cancellation;
        var target = robots[0];
        step.Say($"a stolen operator token orders {target} back to {factory!.View.Version}: validly signed, but below the security version {update!.View.SecurityVersion} it runs");
        var attempt = new CreateRolloutRequest(new ReleaseSpec(factory.Id), [new RingSpec(100m)], DowngradeRolloutId,
            new SelectionSpec(Model: DemoReleases.Model.Model, DeviceIds: [target]));
        try
        {
            var started = await DemoOperatorQueries.CreateAndStartAsync(Api, attempt, cancellation);
            var targeted = started.Rings.Sum(ring => ring.TargetDevices);
            DemoClaimException.That(targeted == 0, $"the server accepted the downgrade rollout and targets {targeted} robot(s): {DemoOperatorQueries.Describe(started)}");
            await Api.SendAsync(HttpMethod.Post, $"api/v1/rollouts/{DowngradeRolloutId}/cancel", null, cancellation);
            return $"the server accepted rollout {DowngradeRolloutId} but targets no robot: its planner never offers {target} a lower security version.";
        }
        catch (OperatorApiException refused) when (refused.Status == System.Net.HttpStatusCode.BadRequest)
        {
            DemoClaimException.That(refused.Message.Contains("downgrade", StringComparison.Ordinal),
                $"the server refused the rollout, but not as a downgrade: {refused.Message}");
            step.Say("server: " + refused.Message);
        }
        var rollouts = await Api.GetAsync<RolloutList>("api/v1/rollouts", cancellation);
        DemoClaimException.That(rollouts.Items.All(rollout => rollout.Id != DowngradeRolloutId), $"rollout {DowngradeRolloutId} exists although it was refused");
        return $"the server refused to roll {factory.View.Version} out (anti-rollback: security version {factory.View.SecurityVersion} < {update.View.SecurityVersion}); no rollout was created.";
    }

    private const string DowngradeRolloutId = "demo-downgrade-1.0.0";

    private async Task<string> ShowReceiptsAsync(IDemoStepContext step)
    {
        // A fresh signed checkpoint, so the receipts' audit anchor covers the whole story.
        var checkpoint = JsonSerializer.Deserialize<AuditEndpoints.CheckpointView>(
            await Api.SendAsync(HttpMethod.Post, "api/v1/audit/checkpoint", null, step.Cancellation), Fleetward.Server.Problems.JsonBody.Options)!;
        step.Say($"signed a checkpoint of the audit log at {checkpoint.TreeSize} entries (root {Convert.ToHexStringLower(checkpoint.RootHash)[..16]}...)");
        var body = await Api.SendBytesAsync(HttpMethod.Get, "api/v1/receipts", null, step.Cancellation);
        var receipts = SecurityReceiptsJson.Parse(body);
        var missing = typeof(ReceiptFigureIds).GetFields().Select(field => (string)field.GetValue(null)!)
            .Where(id => receipts.Figures.All(figure => figure.Id != id)).ToList();
        DemoClaimException.That(missing.Count == 0, $"the receipts lack {string.Join(", ", missing)}");
        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("evidence").AddColumn("note");
        foreach (var figure in receipts.Figures)
        {
            table.AddRow(Markup.Escape(figure.Title), Markup.Escape(ReceiptText.Value(figure)), Markup.Escape(ReceiptText.Fraction(figure)),
                Markup.Escape(figure.Reason ?? figure.Detail ?? ""));
        }
        step.Show(table);
        var audit = receipts.Audit;
        DemoClaimException.That(audit.CheckpointVerified && audit.CheckpointTreeSize >= checkpoint.TreeSize,
            $"the receipts' audit anchor is not the verified checkpoint just signed: {audit.CheckpointDetail}");
        step.Say(audit.CheckpointTreeSize is { } size
            ? $"audit log: {audit.LogSize} entries; signed checkpoint at size {size}, {(audit.CheckpointVerified ? "verified" : "NOT verified")}: {audit.CheckpointDetail}"
            : $"audit log: {audit.LogSize} entries; {audit.CheckpointDetail}");
        return $"{receipts.Figures.Count} figures computed by the server from its database and anchored to its audit log (GET /api/v1/receipts; signed: /api/v1/receipts/signed).";
    }

    private const string FaultyRolloutId = "demo-faulty-1.2.0";

    private static readonly TimeSpan RolloutTimeout = TimeSpan.FromMinutes(3);

    private const string UpdateRolloutId = "demo-update-1.1.0";

    /// <summary>No assignment is still moving (assigned ... verifying, or ordered back).</summary>
    private static bool Finished(RolloutView rollout) =>
        new[] { "assigned", "downloading", "downloaded", "installing", "rebooting", "verifying", "rollback-pending" }.All(state => rollout.Devices[state] == 0);

    private static void SayPlan(IDemoStepContext step, RolloutView rollout)
    {
        var rings = rollout.Rings.Select(ring => string.Create(CultureInfo.InvariantCulture,
            $"{RingName(ring.Index)} {ring.TargetDevices} robot(s) ({ring.CumulativePercent:0.##} %{(ring.MinimumSoakSeconds > 0 ? $", soak {ring.MinimumSoakSeconds} s" : "")})"));
        var threshold = rollout.ErrorThreshold;
        step.Say($"rollout {rollout.Id}: " + string.Join(" -> ", rings));
        step.Say(string.Create(CultureInfo.InvariantCulture,
            $"health gate: {threshold.Action} when {threshold.FailedPercent:0.##} % of a ring's finished robots fail (from {threshold.MinimumFinished} finished)"));
    }

    private static string RingName(int index) => index == 0 ? "canary" : $"ring {index + 1}";

    private static IReadOnlyList<IDemoBar> RingBars(IDemoStepContext step, RolloutView rollout) =>
        [.. rollout.Rings.Select(ring => step.Bar($"{RingName(ring.Index)} updated", ring.TargetDevices))];

    private static void MoveBars(IReadOnlyList<IDemoBar> bars, RolloutView rollout)
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
        if (fleet is not null)
        {
            await fleet.DisposeAsync();
        }
        api?.Dispose();
        if (plane is not null)
        {
            await plane.DisposeAsync();
        }
    }
}
