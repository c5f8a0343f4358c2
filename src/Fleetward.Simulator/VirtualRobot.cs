using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Agent.Telemetry;
using Fleetward.Simulator.Behaviour;

namespace Fleetward.Simulator;

/// <summary>
/// One robot of the simulated fleet: a real <see cref="DeviceAgent"/> (its own key, certificate, TUF metadata and
/// file-backed A/B slots under <see cref="StateDirectory"/>) whose body is a <see cref="SyntheticRobot"/>. The agent
/// reads the body through <see cref="ISnapshotSource"/>, asks it for the post-update health verdict, and reboots it
/// when an install switches slots, so the body's uptime and boot count follow the agent's installs.
/// </summary>
public sealed class VirtualRobot : IAsyncDisposable
{
    private readonly FleetProgress _progress;
    private AgentStatus? _lastStatus;

    internal VirtualRobot(SyntheticRobot body, string stateDirectory, X509Certificate2? factoryIdentity, FleetProgress progress,
        Func<VirtualRobot, DeviceAgent> createAgent)
    {
        Body = body;
        StateDirectory = stateDirectory;
        FactoryIdentity = factoryIdentity;
        _progress = progress;
        Agent = createAgent(this);
    }

    public string DeviceId => Body.DeviceId;
    public string Model => Body.Profile.Model;
    public SyntheticRobot Body { get; }
    public DeviceAgent Agent { get; }
    public string StateDirectory { get; }

    /// <summary>The IDevID the factory gave the robot (null when it enrolls with a one-time token).</summary>
    public X509Certificate2? FactoryIdentity { get; }

    /// <summary>The agent's failure counters, shared with the body's snapshots so failed checks reach the server.</summary>
    public AgentEventCounters Counters { get; } = new();

    public AgentStatus Status => Agent.Status;

    /// <summary>When the scheduler runs the robot next: the earlier of the agent's next step and the next telemetry sample.</summary>
    internal DateTimeOffset NextDue => _agentDue < _sampleDue ? _agentDue : _sampleDue;

    private DateTimeOffset _agentDue;
    private DateTimeOffset _sampleDue = DateTimeOffset.MaxValue;

    /// <summary>Schedules the first run; with a sample interval the robot also samples telemetry between the agent's uploads.</summary>
    internal void ScheduleFirst(DateTimeOffset agentDue, TimeSpan? sampleInterval)
    {
        _agentDue = agentDue;
        if (sampleInterval is { } every) _sampleDue = agentDue + every;
    }

    /// <summary>
    /// Runs what is due: a telemetry sample (buffered by the agent, sent with its next upload) and the agent's own due
    /// steps; turns the change in the agent's status into fleet events.
    /// </summary>
    internal async Task RunDueAsync(TimeProvider time, TimeSpan? sampleInterval, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        _progress.Lateness.Record(now - NextDue);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (sampleInterval is { } every && now >= _sampleDue)
            {
                await Agent.SampleTelemetryAsync(cancellationToken).ConfigureAwait(false);
                // Keep the cadence (a run a little late does not shift every later sample); a robot far behind skips ahead.
                _sampleDue = _sampleDue + every > now ? _sampleDue + every : now + every;
            }
            if (now >= _agentDue)
            {
                var next = await Agent.RunDueAsync(cancellationToken).ConfigureAwait(false);
                // An agent that says "now" again must not spin the scheduler.
                _agentDue = next > now ? next : now + TimeSpan.FromSeconds(1);
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _progress.Raise(new FleetEvent(now, DeviceId, FleetEventKind.Error, failure.Message));
            _agentDue = now + TimeSpan.FromSeconds(30);
        }
        _progress.RunTime.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        Observe(Agent.Status, time.GetUtcNow());
    }

    /// <summary>Compares the agent's status with the previous one and raises what changed.</summary>
    internal void Observe(AgentStatus status, DateTimeOffset at)
    {
        var before = _lastStatus;
        _lastStatus = status;
        void Raise(FleetEventKind kind, string? detail = null) => _progress.Raise(new FleetEvent(at, DeviceId, kind, detail));

        if (before?.CertificateNotAfter is null && status.CertificateNotAfter is not null) Raise(FleetEventKind.Enrolled);
        if (status.LastCheckInAt != before?.LastCheckInAt)
        {
            _progress.CountCheckIn();
            if (before?.LastCheckInAt is null) Raise(FleetEventKind.FirstCheckIn);
        }
        // An install runs to its end inside one check-in, so a new install instruction is the start.
        var newInstall = status.LastInstruction is { Kind: "install" } install
            && (before?.LastInstruction?.Kind != "install" || before.LastInstruction.RolloutId != install.RolloutId || before.LastInstruction.Attempt != install.Attempt);
        if (newInstall) Raise(FleetEventKind.InstallStarted, status.LastInstruction!.Target?.Version);
        if (status.LastPhase != before?.LastPhase || newInstall)
        {
            switch (status.LastPhase)
            {
                case "succeeded":
                    Raise(FleetEventKind.InstallSucceeded, status.Installed.Version);
                    break;
                case "failed":
                    Raise(FleetEventKind.InstallFailed, status.LastFailureReason);
                    break;
                case "rolled-back" or "rollback-failed":
                    Raise(FleetEventKind.RolledBack, status.LastFailureReason);
                    break;
            }
        }
        var quarantined = IsQuarantined(status);
        var wasQuarantined = before is not null && IsQuarantined(before);
        if (quarantined && !wasQuarantined) Raise(FleetEventKind.Quarantined);
        if (!quarantined && wasQuarantined) Raise(FleetEventKind.Released);
        if (status.LastError is { } error && error != before?.LastError) Raise(FleetEventKind.Error, error);
    }

    /// <summary>Where the robot stands for the fleet's gauges.</summary>
    internal AgentStatus? LastStatus => _lastStatus;

    /// <summary>
    /// Quarantined as the robot experiences it: its agent isolated itself on the signed command, or the server refuses
    /// it because it is quarantined (after a credential rotation it cannot even fetch the isolate command).
    /// </summary>
    internal static bool IsQuarantined(AgentStatus status) =>
        status.Isolated || status.LastError?.Contains("device.quarantined", StringComparison.Ordinal) == true;

    internal static bool IsInstalling(string? phase) =>
        phase is "assigned" or "downloading" or "downloaded" or "installing" or "rebooting" or "verifying";

    internal void CountReport() => _progress.CountReport();

    internal void RaiseRefusal(DateTimeOffset at, string detail) => _progress.Raise(new FleetEvent(at, DeviceId, FleetEventKind.Refused, detail));

    public ValueTask DisposeAsync()
    {
        FactoryIdentity?.Dispose();
        return Agent.DisposeAsync();
    }

    /// <summary>The robot's body as the agent's telemetry source.</summary>
    internal sealed class BodySnapshots(VirtualRobot robot, TimeProvider time) : ISnapshotSource
    {
        public SystemSnapshot Collect()
        {
            robot.CountReport();
            return robot.Body.Sample(time.GetUtcNow(), robot.Counters.IntegrityCheckFailures, robot.Counters.InstallFailures);
        }
    }

    /// <summary>
    /// The post-update health check: a release the robot's condition marks unhealthy fails (a bad release crashing the
    /// motor driver on this hardware), anything else must reach the server over mutual TLS as the real check does.
    /// </summary>
    internal sealed class BodyHealthCheck(VirtualRobot robot, HealthCheckContext context) : IHealthCheck
    {
        public async Task<HealthResult> CheckAsync(CancellationToken cancellationToken)
        {
            var unhealthy = robot.Body.Condition.UnhealthyReleases;
            if (unhealthy.Contains(context.Target.Version) || unhealthy.Contains(context.Target.Name))
                return HealthResult.Fail($"{robot.Model} health check: drive controller did not come up on {context.Target.Version}");
            return await context.ServerReachable(cancellationToken).ConfigureAwait(false)
                ? HealthResult.Pass
                : HealthResult.Fail("server unreachable after the trial boot");
        }
    }

    /// <summary>The boot into a new slot restarts the body too: uptime and counters start over, the boot count grows.</summary>
    internal sealed class BodyReboot(IRebootAction slots, VirtualRobot robot, TimeProvider time) : IRebootAction
    {
        public async Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
        {
            var outcome = await slots.RebootAsync(cancellationToken).ConfigureAwait(false);
            robot.Body.Reboot(time.GetUtcNow());
            return outcome;
        }
    }
}
