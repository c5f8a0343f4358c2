using System.Net;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Simulator.Behaviour;
using Fleetward.Simulator.Enrollment;
using Fleetward.Simulator.Operator;

namespace Fleetward.Simulator;

/// <summary>How the robots prove who they are at first enrollment (docs/enrollment.md section 2).</summary>
public enum SimulatedEnrollment
{
    /// <summary>Each model is a factory line with its own CA; every robot carries an IDevID from it.</summary>
    FactoryCertificate,

    /// <summary>Each robot gets a one-time token minted through the operator API.</summary>
    OneTimeToken,
}

/// <summary>What fleet to simulate and against which server.</summary>
public sealed record FleetSimulatorOptions
{
    /// <summary>The server's device listener (mutual TLS), e.g. https://127.0.0.1:8444/.</summary>
    public required Uri DeviceListener { get; init; }

    /// <summary>The fleet root CA every robot pins for the server's certificate (DATA/ca/root.crt).</summary>
    public required X509Certificate2 FleetRoot { get; init; }

    /// <summary>The TUF root.json provisioned at the factory.</summary>
    public required byte[] TufRoot { get; init; }

    /// <summary>Where each robot keeps its state (one directory per robot, plus the factory CAs).</summary>
    public required string StateRoot { get; init; }

    public int Devices { get; init; } = 100;

    /// <summary>Decides every robot's model, site, individual variation and noise: the same seed replays the same fleet.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Robot i is named <c>{DeviceIdPrefix}{i:D4}</c>.</summary>
    public string DeviceIdPrefix { get; init; } = "robot-";

    public AgentIntervals Intervals { get; init; } = AgentIntervals.Default;

    /// <summary>Robots whose agent runs at the same time (each run makes a few HTTPS calls).</summary>
    public int MaxConcurrency { get; init; } = 16;

    public SimulatedEnrollment Enrollment { get; init; } = SimulatedEnrollment.FactoryCertificate;

    /// <summary>Models cycled through by robot index (robot i is Models[i % Count]).</summary>
    public IReadOnlyList<RobotProfile> Models { get; init; } = RobotProfile.All;

    public IReadOnlyList<RobotSite> Sites { get; init; } = RobotSite.Default;

    /// <summary>What the factory flashed to slot A, reported before the first update.</summary>
    public FactoryRelease Factory { get; init; } = new("1.0.0", 1);

    /// <summary>Lifetime of the certificates the server issues to the simulated robots (the enrollment groups' setting).</summary>
    public TimeSpan CertificateLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// When set, each robot samples telemetry at this interval and its agent uploads the buffered samples at
    /// <see cref="AgentIntervals.Telemetry"/> (which then is the upload interval): the batching issue 7 asks of devices,
    /// and far fewer requests for a long simulated run. Null: one sample per upload.
    /// </summary>
    public TimeSpan? TelemetrySampleInterval { get; init; }

    /// <summary>
    /// With a <see cref="SimulationClock"/>: robots due within this step run together at its end, which bounds how
    /// finely virtual time is cut (and so how much runs in parallel).
    /// </summary>
    public TimeSpan VirtualTimeStep { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Many virtual robots in one process, each a real <see cref="DeviceAgent"/> talking to the server over HTTPS with
/// mutual TLS, driven by one scheduler: every robot has a due time (its agent says when it wants to run next,
/// jittered), due robots run with bounded concurrency, and time is either real (<see cref="RunAsync"/>) or virtual
/// (<see cref="RunForAsync"/> with a <see cref="SimulationClock"/>, which jumps from one due instant to the next).
/// </summary>
public sealed class FleetSimulator : IAsyncDisposable
{
    private readonly FleetSimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly List<VirtualRobot> _robots;
    private readonly Dictionary<string, VirtualRobot> _byId;
    private readonly PriorityQueue<VirtualRobot, DateTimeOffset> _due = new();
    private readonly SemaphoreSlim _schedulerGate = new(1, 1);
    private readonly IReadOnlyList<SimulatedFactoryCa> _factories;

    private FleetSimulator(FleetSimulatorOptions options, TimeProvider time, List<VirtualRobot> robots, IReadOnlyList<SimulatedFactoryCa> factories, FleetProgress progress)
    {
        _options = options;
        _time = time;
        _robots = robots;
        _byId = robots.ToDictionary(r => r.DeviceId, StringComparer.Ordinal);
        _factories = factories;
        Progress = progress;
    }

    public IReadOnlyList<VirtualRobot> Robots => _robots;
    public FleetProgress Progress { get; }
    public TimeProvider Time => _time;
    public FleetSimulatorOptions Options => _options;

    public VirtualRobot Robot(string deviceId) =>
        _byId.TryGetValue(deviceId, out var robot) ? robot : throw new ArgumentException($"No simulated robot '{deviceId}'.", nameof(deviceId));

    /// <summary>
    /// Builds the fleet: registers one enrollment group per model through the operator API (a factory line with its CA,
    /// or a token group), gives every robot its IDevID or one-time token, its state directory and its agent. Nothing
    /// talks to the device listener until <see cref="EnrollAsync"/> or a run.
    /// </summary>
    public static async Task<FleetSimulator> CreateAsync(FleetSimulatorOptions options, FleetOperatorClient operatorApi, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Devices, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        if (options.Models.Count == 0) throw new ArgumentException("At least one robot model is needed.", nameof(options));
        Directory.CreateDirectory(options.StateRoot);
        var now = time.GetUtcNow();
        var server = await ResolveAsync(options.DeviceListener, cancellationToken).ConfigureAwait(false);
        var existingGroups = (await operatorApi.ListGroupNamesAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);

        var factories = new Dictionary<string, SimulatedFactoryCa>(StringComparer.Ordinal);
        foreach (var model in options.Models.Select(m => m.Model).Distinct())
        {
            var group = GroupName(options, model);
            if (options.Enrollment == SimulatedEnrollment.FactoryCertificate)
            {
                var factory = SimulatedFactoryCa.LoadOrCreate(Path.Combine(options.StateRoot, "factory", model), model, now);
                factories[model] = factory;
                if (!existingGroups.Contains(group))
                    await operatorApi.CreateFactoryGroupAsync(group, model, factory.CertificatePem, options.CertificateLifetime, cancellationToken).ConfigureAwait(false);
            }
            else if (!existingGroups.Contains(group))
            {
                await operatorApi.CreateTokenGroupAsync(group, model, options.CertificateLifetime, cancellationToken).ConfigureAwait(false);
            }
        }

        var progress = new FleetProgress();
        var robots = new List<VirtualRobot>(options.Devices);
        var factoryImage = FactoryImage(options.Factory);
        for (var i = 0; i < options.Devices; i++)
        {
            var profile = options.Models[i % options.Models.Count];
            var site = options.Sites[(int)(new SimulationNoise(options.Seed).Uniform(i, -1, 90) * options.Sites.Count)];
            var id = $"{options.DeviceIdPrefix}{i:D4}";
            var state = Path.Combine(options.StateRoot, id);
            var body = new SyntheticRobot(profile, site, i, id, options.Seed, server, now);
            var enrolled = File.Exists(Path.Combine(state, "identity", "device.crt"));
            X509Certificate2? identity = null;
            EnrollmentCredential credential;
            if (options.Enrollment == SimulatedEnrollment.FactoryCertificate)
            {
                identity = factories[profile.Model].IssueDeviceIdentity(id, now);
                credential = EnrollmentCredential.WithFactoryCertificate(identity);
            }
            else
            {
                // A robot that already holds a certificate renews over mTLS and never spends a token again.
                credential = enrolled
                    ? new EnrollmentCredential(null, null)
                    : EnrollmentCredential.WithToken(await operatorApi.CreateEnrollmentTokenAsync(GroupName(options, profile.Model), id, TimeSpan.FromHours(2), cancellationToken).ConfigureAwait(false));
            }
            robots.Add(new VirtualRobot(body, state, identity, progress, robot => CreateAgent(options, robot, credential, factoryImage, time, i)));
        }

        var simulator = new FleetSimulator(options, time, robots, [.. factories.Values], progress);
        simulator.StaggerFirstRuns(now);
        return simulator;
    }

    /// <summary>
    /// Spreads the robots' first runs over one check-in interval from <paramref name="from"/>, so the fleet does not
    /// arrive at once; done again when the first run starts later than that (after a long enrollment).
    /// </summary>
    private void StaggerFirstRuns(DateTimeOffset from)
    {
        var noise = new SimulationNoise(_options.Seed);
        _due.Clear();
        foreach (var robot in _robots)
        {
            robot.ScheduleFirst(from + TimeSpan.FromTicks((long)(_options.Intervals.CheckIn.Ticks * noise.Uniform(robot.Body.Index, -1, 91))), _options.TelemetrySampleInterval);
            _due.Enqueue(robot, robot.NextDue);
        }
        _firstRunsFrom = from;
    }

    private DateTimeOffset _firstRunsFrom;
    private bool _running;

    /// <summary>The first run of the fleet starts its schedule now if its planned start has long passed.</summary>
    private void BeginRunning(DateTimeOffset now)
    {
        if (_running) return;
        _running = true;
        if (now - _firstRunsFrom > _options.Intervals.CheckIn) StaggerFirstRuns(now);
    }

    /// <summary>Enrolls every robot now (bounded concurrency); returns how many hold a certificate afterwards.</summary>
    public async Task<int> EnrollAsync(CancellationToken cancellationToken)
    {
        var enrolled = 0;
        await Parallel.ForEachAsync(_robots, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (robot, ct) =>
            {
                try
                {
                    if (await robot.Agent.EnsureEnrolledAsync(ct).ConfigureAwait(false)) Interlocked.Increment(ref enrolled);
                }
                catch (Exception failure) when (failure is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Progress.Raise(new FleetEvent(_time.GetUtcNow(), robot.DeviceId, FleetEventKind.Error, $"enrollment: {failure.Message}"));
                }
                robot.Observe(robot.Agent.Status, _time.GetUtcNow());
            }).ConfigureAwait(false);
        return enrolled;
    }

    /// <summary>Where the fleet stands now.</summary>
    public FleetCounters Counters()
    {
        int enrolled = 0, checkedIn = 0, installing = 0, succeeded = 0, rolledBack = 0, failed = 0, quarantined = 0;
        foreach (var robot in _robots)
        {
            if (robot.LastStatus is not { } status) continue;
            if (status.CertificateNotAfter is not null) enrolled++;
            if (status.LastCheckInAt is not null) checkedIn++;
            if (VirtualRobot.IsInstalling(status.LastPhase)) installing++;
            if (status.LastPhase == "succeeded") succeeded++;
            if (status.LastPhase is "rolled-back" or "rollback-failed") rolledBack++;
            if (status.LastPhase == "failed") failed++;
            if (VirtualRobot.IsQuarantined(status)) quarantined++;
        }
        return new FleetCounters(_robots.Count, enrolled, checkedIn, installing, succeeded, rolledBack, failed, quarantined,
            Progress.Refused, Progress.CheckIns, Progress.TelemetryReports, Progress.Errors);
    }

    /// <summary>Runs the fleet in real time (waiting on <see cref="Time"/>) until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        BeginRunning(_time.GetUtcNow());
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var next = await StepAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                var wait = next - _time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Runs <paramref name="duration"/> of virtual time: moves <paramref name="clock"/> from one due step to the next
    /// (at most <see cref="FleetSimulatorOptions.VirtualTimeStep"/> apart), running every robot due by then.
    /// </summary>
    public async Task RunForAsync(SimulationClock clock, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(clock, _time)) throw new ArgumentException("The fleet must have been created with this clock.", nameof(clock));
        BeginRunning(clock.GetUtcNow());
        var end = clock.GetUtcNow() + duration;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = NextDue();
            if (next is not { } due || due > end)
            {
                clock.AdvanceTo(end);
                return;
            }
            clock.AdvanceTo(Min(due + _options.VirtualTimeStep, end));
            await StepAsync(clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs every robot due at <paramref name="now"/> (bounded concurrency) and returns when the next one is due.</summary>
    public async Task<DateTimeOffset> StepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _schedulerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var batch = new List<VirtualRobot>();
            while (_due.TryPeek(out var robot, out var due) && due <= now)
            {
                _due.Dequeue();
                batch.Add(robot);
            }
            try
            {
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                    (robot, ct) => new ValueTask(robot.RunDueAsync(_time, _options.TelemetrySampleInterval, ct))).ConfigureAwait(false);
            }
            finally
            {
                foreach (var robot in batch) _due.Enqueue(robot, robot.NextDue > now ? robot.NextDue : now + TimeSpan.FromSeconds(1));
            }
            return _due.TryPeek(out _, out var head) ? head : now + _options.Intervals.CheckIn;
        }
        finally
        {
            _schedulerGate.Release();
        }
    }

    private DateTimeOffset? NextDue()
    {
        _schedulerGate.Wait();
        try
        {
            return _due.TryPeek(out _, out var due) ? due : null;
        }
        finally
        {
            _schedulerGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var robot in _robots) await robot.DisposeAsync().ConfigureAwait(false);
        foreach (var factory in _factories) factory.Dispose();
        _schedulerGate.Dispose();
    }

    /// <summary>The enrollment group of a model's simulated robots.</summary>
    public static string GroupName(FleetSimulatorOptions options, string model) =>
        $"sim-{options.DeviceIdPrefix.TrimEnd('-')}-{model}".ToLowerInvariant();

    private static DeviceAgent CreateAgent(FleetSimulatorOptions options, VirtualRobot robot, EnrollmentCredential credential, byte[] factoryImage, TimeProvider time, int index)
    {
        var slotsDirectory = Path.Combine(robot.StateDirectory, "slots");
        var device = File.Exists(Path.Combine(slotsDirectory, "booted-slot"))
            ? SimulatedSlotDevice.Open(slotsDirectory)
            : SimulatedSlotDevice.Create(slotsDirectory, factoryImage);
        var slots = AgentSlots.Simulated(device);
        slots = slots with { Reboot = new VirtualRobot.BodyReboot(slots.Reboot, robot, time) };
        return new DeviceAgent(
            new DeviceAgentOptions(options.DeviceListener, robot.DeviceId, robot.StateDirectory, options.FleetRoot, credential,
                robot.Model, options.TufRoot, options.Factory)
            {
                Intervals = options.Intervals,
            },
            new DeviceAgentPorts(time, new Random(unchecked((int)(options.Seed * 1_000_003UL + (ulong)index))), new VirtualRobot.BodySnapshots(robot, time), slots)
            {
                Counters = robot.Counters,
                HealthCheck = context => new VirtualRobot.BodyHealthCheck(robot, context),
            });
    }

    /// <summary>A small factory image that names its release, so slot A holds something recognisable.</summary>
    private static byte[] FactoryImage(FactoryRelease release) =>
        System.Text.Encoding.UTF8.GetBytes($"fleetward simulated robot image {release.Version} (security version {release.SecurityVersion})\n");

    private static async Task<IPEndPoint> ResolveAsync(Uri server, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(server.Host, out var literal)) return new IPEndPoint(literal, server.Port);
        var addresses = await Dns.GetHostAddressesAsync(server.DnsSafeHost, cancellationToken).ConfigureAwait(false);
        return new IPEndPoint(addresses.First(), server.Port);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
