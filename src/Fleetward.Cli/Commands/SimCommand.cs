using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Agent.Runtime;
using Fleetward.Server.Configuration;
using Fleetward.Server.Updates;
using Fleetward.Simulator;
using Fleetward.Simulator.Drills;
using Fleetward.Simulator.Operator;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward sim`: runs a simulated fleet (real agents over mutual TLS) against a running server, optionally runs a
/// drill, and with --report prints a load summary (the load generator of docs/benchmarks.md).
/// </summary>
public static class SimCommand
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    public static Command Create(Func<string, string?>? environment = null)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var devices = new Option<int>("--devices") { Description = "Number of simulated robots.", DefaultValueFactory = _ => 100 };
        var data = new Option<string?>("--data") { Description = "The server's data directory: device URL, fleet root, TUF root and operator certificate are read from it.", HelpName = "DIR" };
        var deviceUrl = ServerCommand.UrlOption("--device-url", "The server's device listener (without --data).", null);
        var fleetRoot = new Option<string?>("--fleet-root") { Description = "PEM fleet root CA the robots pin (without --data: DATA/ca/root.crt).", HelpName = "FILE" };
        var tufRoot = new Option<string?>("--tuf-root") { Description = "TUF root.json provisioned in the robots (without --data: DATA/updates/1.root.json).", HelpName = "FILE" };
        var state = new Option<string?>("--state") { Description = "Where the robots keep their state (default: a new temporary directory, removed at the end).", HelpName = "DIR" };
        var interval = new Option<TimeSpan?>("--interval") { Description = "Check-in, telemetry and command interval of every robot, e.g. 60s (default).", HelpName = "DURATION", CustomParser = ParseDuration };
        var seed = new Option<ulong>("--seed") { Description = "Decides every robot's model, site and behaviour.", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "Robots running at the same time.", DefaultValueFactory = _ => 32 };
        var enrollment = new Option<string>("--enrollment") { Description = "factory: IDevIDs from a simulated factory CA per model; token: one-time tokens.", DefaultValueFactory = _ => "factory" };
        enrollment.AcceptOnlyFromAmong("factory", "token");
        var drill = new Option<string?>("--drill") { Description = $"Run this drill once the fleet has checked in: {string.Join(", ", FleetDrills.All.Select(d => d.Name))}.", HelpName = "NAME" };
        drill.AcceptOnlyFromAmong([.. FleetDrills.All.Select(d => d.Name)]);
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop after this long (default: until Ctrl-C, or after the drill).", HelpName = "DURATION", CustomParser = ParseDuration };
        var report = new Option<bool>("--report") { Description = "Print a load summary as JSON at the end: rates, lateness and run-time percentiles, and a bare mTLS request baseline." };

        var command = new Command("sim", "Run simulated robots (real agents over mutual TLS) against a server; optionally a drill or a load report.")
        {
            devices, data, deviceUrl, fleetRoot, tufRoot, state, interval, seed, concurrency, enrollment, drill, duration, report,
        };
        api.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
        {
            var dataDirectory = parseResult.GetValue(data) is { } d ? new DataDirectory(d) : null;
            var connection = Connection(parseResult, api, dataDirectory);
            var every = parseResult.GetValue(interval) ?? TimeSpan.FromSeconds(60);
            var (listener, root, tuf) = DeviceSide(dataDirectory, parseResult.GetValue(deviceUrl), parseResult.GetValue(fleetRoot), parseResult.GetValue(tufRoot));
            var count = parseResult.GetValue(devices);
            if (count < 1) throw new UsageException("--devices must be at least 1.");
            var stateRoot = parseResult.GetValue(state);
            var temporary = stateRoot is null;
            stateRoot ??= Directory.CreateTempSubdirectory("fleetward-sim-").FullName;
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                using var operatorApi = new FleetOperatorClient(OperatorApiClient.CreateHttpClient(connection));
                var options = new FleetSimulatorOptions
                {
                    DeviceListener = listener,
                    FleetRoot = root,
                    TufRoot = tuf,
                    StateRoot = stateRoot,
                    Devices = count,
                    Seed = parseResult.GetValue(seed),
                    Intervals = new AgentIntervals(every, every, every),
                    MaxConcurrency = Math.Max(1, parseResult.GetValue(concurrency)),
                    Enrollment = parseResult.GetValue(enrollment) == "token" ? SimulatedEnrollment.OneTimeToken : SimulatedEnrollment.FactoryCertificate,
                };
                await using var fleet = await FleetSimulator.CreateAsync(options, operatorApi, TimeProvider.System, cancellationToken);
                await output.WriteLineAsync($"fleetward sim: {count} robots ({string.Join(", ", options.Models.Select(m => m.Model))}) against {listener}, state in {stateRoot}");
                var baseline = parseResult.GetValue(report) ? await BareRequestBaselineAsync(fleet, cancellationToken) : null;
                return await RunAsync(fleet, operatorApi, parseResult.GetValue(drill), parseResult.GetValue(duration), baseline, output, cancellationToken);
            }
            finally
            {
                if (temporary) Directory.Delete(stateRoot, recursive: true);
            }
        }));
        return command;
    }

    private static async Task<int> RunAsync(FleetSimulator fleet, FleetOperatorClient operatorApi, string? drillName, TimeSpan? duration,
        LatencyHistogram? baseline, TextWriter output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var enrolled = await fleet.EnrollAsync(cancellationToken);
        await output.WriteLineAsync($"enrolled {enrolled}/{fleet.Robots.Count} in {started.Elapsed.TotalSeconds:F1} s");
        var running = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } limit) stop.CancelAfter(limit);
        var run = fleet.RunAsync(stop.Token);
        var progress = ReportProgressAsync(fleet, output, stop.Token);
        var exitCode = ExitCodes.Success;
        if (drillName is not null)
        {
            // Let every robot check in once before the attack, so the drill has a fleet to work with.
            while (!stop.IsCancellationRequested && fleet.Counters().CheckedIn < enrolled)
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1), stop.Token));
            var drill = FleetDrills.ByName(drillName);
            await output.WriteLineAsync($"drill {drill.Name}: {drill.Description}");
            var result = await drill.RunAsync(DrillContext.RealTime(fleet, operatorApi), stop.Token);
            foreach (var step in result.Steps) await output.WriteLineAsync($"  {step.At:HH:mm:ss} {step.What}");
            await output.WriteLineAsync($"drill {drill.Name}: {result.Verdict.ToString().ToLowerInvariant()}: {result.Summary}");
            if (result.Verdict == DrillVerdict.NotDefended) exitCode = ExitCodes.Failure;
            if (duration is null) await stop.CancelAsync();
        }
        await run;
        await progress;
        var counters = fleet.Counters();
        await output.WriteLineAsync(Line(counters));
        if (baseline is not null) await output.WriteLineAsync(JsonSerializer.Serialize(LoadReport.From(fleet, running.Elapsed, baseline), LoadReport.Json));
        return exitCode;
    }

    private static async Task ReportProgressAsync(FleetSimulator fleet, TextWriter output, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ProgressEvery, stop);
                await output.WriteLineAsync(Line(fleet.Counters()));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static string Line(FleetCounters c) =>
        $"robots {c.Devices} enrolled {c.Enrolled} checked-in {c.CheckedIn} installing {c.Installing} succeeded {c.Succeeded} " +
        $"rolled-back {c.RolledBack} failed {c.Failed} quarantined {c.Quarantined} refused {c.Refused} | check-ins {c.CheckIns} reports {c.TelemetryReports} errors {c.Errors}";

    /// <summary>
    /// The same-run baseline of a load report: 200 bare mutual TLS GETs of the command key by the first robot (after
    /// its enrollment), i.e. the cost of one authenticated round trip without any work behind it.
    /// </summary>
    private static async Task<LatencyHistogram> BareRequestBaselineAsync(FleetSimulator fleet, CancellationToken cancellationToken)
    {
        var robot = fleet.Robots[0];
        await robot.Agent.EnsureEnrolledAsync(cancellationToken);
        var identity = Path.Combine(robot.StateDirectory, "identity");
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(identity, "device.crt"), cancellationToken));
        using var key = new Fleetward.Agent.Identity.FileDeviceKeyStore(Path.Combine(identity, "device.key")).Current();
        using var joined = Fleetward.Agent.Identity.DeviceTlsClient.Join(certificate, key);
        using var http = Fleetward.Agent.Identity.DeviceTlsClient.Create(fleet.Options.DeviceListener, fleet.Options.FleetRoot, joined);
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync("device/v1/command-key", cancellationToken);
            response.EnsureSuccessStatusCode();
            histogram.Record(watch.Elapsed);
        }
        return histogram;
    }

    private static OperatorConnection Connection(ParseResult parseResult, OperatorApiOptions api, DataDirectory? data)
    {
        var connection = api.Connection(parseResult);
        return connection.CaFile is null && data is not null && File.Exists(data.OperatorCaPath) ? connection with { CaFile = data.OperatorCaPath } : connection;
    }

    private static (Uri Listener, X509Certificate2 FleetRoot, byte[] TufRoot) DeviceSide(DataDirectory? data, Uri? deviceUrl, string? fleetRootFile, string? tufRootFile)
    {
        if (data is not null)
        {
            var configuration = ConfigurationFile.Load(data);
            if (configuration.CertificateAuthority is null)
                throw new UsageException($"--data {data.Root} has no device CA: run 'fleetward ca init --data {data.Root}' first.");
            deviceUrl ??= configuration.DeviceUrl;
            fleetRootFile ??= data.Resolve(configuration.CertificateAuthority.RootCertificatePath);
            tufRootFile ??= DevelopmentKeySet.RootFilePath(new UpdatesDirectory(data.Root));
        }
        if (deviceUrl is null || fleetRootFile is null || tufRootFile is null)
            throw new UsageException("give --data DIR, or all of --device-url, --fleet-root and --tuf-root.");
        if (deviceUrl.Port == 0) throw new UsageException($"the device listener {deviceUrl} has no fixed port: pass the bound address with --device-url.");
        foreach (var file in new[] { fleetRootFile, tufRootFile })
        {
            if (!File.Exists(file)) throw new UsageException($"{file} does not exist.");
        }
        return (deviceUrl, X509CertificateLoader.LoadCertificateFromFile(fleetRootFile), File.ReadAllBytes(tufRootFile));
    }

    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        if (TokenCommand.TryParseDuration(text, out var duration)) return duration;
        result.AddError($"'{text}' is not a duration; use a positive number with s, m, h or d, e.g. 60s.");
        return null;
    }

    /// <summary>What `fleetward sim --report` prints: achieved rates against the target, and percentiles in milliseconds.</summary>
    private sealed record LoadReport(
        int Devices, int Enrolled, double IntervalSeconds, double ElapsedSeconds, double TargetCheckInsPerSecond, double CheckInsPerSecond,
        double ReportsPerSecond, long Errors, double LatenessP50Ms, double LatenessP95Ms, double LatenessMaxMs,
        double RunTimeP50Ms, double RunTimeP95Ms, double BareRequestP50Ms, double RunTimeToBareRequestRatio)
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

        public static LoadReport From(FleetSimulator fleet, TimeSpan elapsed, LatencyHistogram baseline)
        {
            var c = fleet.Counters();
            var p = fleet.Progress;
            static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 1);
            var bare = Ms(baseline.Percentile(0.5));
            var run = Ms(p.RunTime.Percentile(0.5));
            return new LoadReport(c.Devices, c.Enrolled, fleet.Options.Intervals.CheckIn.TotalSeconds, Math.Round(elapsed.TotalSeconds, 1),
                Math.Round(c.Devices / fleet.Options.Intervals.CheckIn.TotalSeconds, 2), Math.Round(c.CheckIns / elapsed.TotalSeconds, 2),
                Math.Round(c.TelemetryReports / elapsed.TotalSeconds, 2), c.Errors,
                Ms(p.Lateness.Percentile(0.5)), Ms(p.Lateness.Percentile(0.95)), Ms(p.Lateness.Max),
                run, Ms(p.RunTime.Percentile(0.95)), bare, bare > 0 ? Math.Round(run / bare, 2) : 0);
        }
    }
}
