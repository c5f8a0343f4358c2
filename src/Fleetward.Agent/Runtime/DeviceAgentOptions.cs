using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Slots;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.DeviceApi;

namespace Fleetward.Agent.Runtime;

/// <summary>What the factory flashed into the slot the device first boots: the release it reports before its first update.</summary>
public sealed record FactoryRelease(string Version, long SecurityVersion, string? ReleaseId = null);

/// <summary>
/// Base intervals of the agent's loop. Every wait is moved by up to ±<see cref="Jitter"/> of itself so a fleet that
/// started together does not call in together; a failed step backs off exponentially from <see cref="InitialBackoff"/>
/// to <see cref="MaxBackoff"/>, and a server's Retry-After is honoured as the minimum wait.
/// </summary>
public sealed record AgentIntervals(TimeSpan CheckIn, TimeSpan Telemetry, TimeSpan Commands)
{
    public static AgentIntervals Default { get; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

    public double Jitter { get; init; } = 0.1;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Refuses intervals the loop cannot work with, naming the field.</summary>
    public AgentIntervals Validated()
    {
        foreach (var (value, name) in new[] { (CheckIn, nameof(CheckIn)), (Telemetry, nameof(Telemetry)), (Commands, nameof(Commands)), (InitialBackoff, nameof(InitialBackoff)) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name}: must be positive");
            }
        }
        if (MaxBackoff < InitialBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, $"{nameof(MaxBackoff)}: must not be below {nameof(InitialBackoff)}");
        }
        if (Jitter is < 0 or >= 1 || double.IsNaN(Jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, $"{nameof(Jitter)}: must be in [0, 1)");
        }
        return this;
    }
}

/// <summary>
/// Who the device is and what it trusts. <see cref="TufRoot"/> is the root.json provisioned at the factory, used until
/// the TUF state directory holds a newer trusted root. <see cref="CommandKey"/> pins the server command key; when it is
/// null (development devices only) the agent fetches the key once after its first enrollment (over mutual TLS to the
/// pinned fleet root) and keeps it.
/// </summary>
/// <param name="Server">The server's device listener, e.g. https://fleet.example:8443/.</param>
/// <param name="StateDirectory">The agent's own files (identity, TUF metadata, telemetry buffer, update records).</param>
/// <param name="FleetRoot">The only trust anchor for the server's TLS certificate.</param>
/// <param name="HardwareModel">A TUF target whose <c>hardware_ids</c> do not name this model is refused.</param>
public sealed record DeviceAgentOptions(
    Uri Server,
    string DeviceId,
    string StateDirectory,
    X509Certificate2 FleetRoot,
    EnrollmentCredential Enrollment,
    string HardwareModel,
    byte[] TufRoot,
    FactoryRelease Factory)
{
    public AgentIntervals Intervals { get; init; } = AgentIntervals.Default;

    /// <summary>Installs only production-signed targets (<see cref="Tuf.TufUpdaterOptions.ProductionDevice"/>).</summary>
    public bool ProductionDevice { get; init; }

    /// <summary>
    /// The server command key, provisioned at the factory. Required when <see cref="ProductionDevice"/> is set: only a
    /// development device may leave it null and trust the key the server sends on first use (TOFU).
    /// </summary>
    public ECDsa? CommandKey { get; init; }

    /// <summary>Disk the telemetry buffer may use while the server is unreachable.</summary>
    public long TelemetryBufferBytes { get; init; } = 4L * 1024 * 1024;
}

/// <summary>
/// The device's A/B parts. <see cref="Simulated"/> wraps a <see cref="SimulatedSlotDevice"/> (file-backed slots, simulated
/// boot loader whose reboot happens at once); real devices pass their block devices, boot-loader backend and systemd reboot.
/// </summary>
public sealed record AgentSlots(
    SlotDevices Devices,
    IBootControl BootControl,
    IRunningSlot Running,
    IRebootAction Reboot,
    InstallJournalStore Journal,
    SlotInstallerOptions? Options = null)
{
    public static AgentSlots Simulated(SimulatedSlotDevice device, SlotInstallerOptions? options = null) =>
        new(device.Slots, device.BootControl, device.BootLoader, device.BootLoader, device.Journal, options);

    /// <summary>The file-backed default: a <see cref="SimulatedSlotDevice"/> in <paramref name="directory"/>, created with <paramref name="factoryImage"/> on first use.</summary>
    public static AgentSlots FileBacked(string directory, ReadOnlySpan<byte> factoryImage, SlotInstallerOptions? options = null) =>
        Simulated(File.Exists(Path.Combine(directory, "booted-slot"))
            ? SimulatedSlotDevice.Open(directory)
            : SimulatedSlotDevice.Create(directory, factoryImage, bootLimit: options?.BootLimit ?? 3), options);
}

/// <summary>What a post-update health check may use: the release under trial and an mTLS call that proves the server is reachable.</summary>
public sealed record HealthCheckContext(TargetView Target, Func<CancellationToken, Task<bool>> ServerReachable);

/// <summary>Makes the health check for one trial boot (the simulator makes some releases fail on some devices).</summary>
public delegate IHealthCheck HealthCheckFactory(HealthCheckContext context);

/// <summary>One log line of the agent; <see cref="Event"/> is a stable name such as <c>update.phase</c>.</summary>
public sealed record AgentLogEntry(DateTimeOffset At, string Level, string Event, string Message, string? Error = null);

/// <summary>
/// What the agent runs on: clock and randomness (so the simulator can run thousands of agents on one fake clock), the
/// telemetry source and the A/B parts, plus optional replacements for the defaults.
/// </summary>
public sealed record DeviceAgentPorts(TimeProvider Time, Random Random, ISnapshotSource Snapshots, AgentSlots Slots)
{
    /// <summary>The TLS identity key; default: a file key in the identity directory (destroyed by zeroize).</summary>
    public IDeviceKeyStore? Keys { get; init; }

    /// <summary>Default: <see cref="AgentHealthCheck"/> that reaches the server over mutual TLS.</summary>
    public HealthCheckFactory? HealthCheck { get; init; }

    /// <summary>The agent's failure counters; share the instance with a <see cref="TelemetryCollector"/>.</summary>
    public AgentEventCounters Counters { get; init; } = new();

    /// <summary>Null: a re-attest command is reported failed (this device has no attestor).</summary>
    public IReAttestation? Attestation { get; init; }

    /// <summary>Null: the agent's own collector uploads its log, a fresh snapshot, its status, update records and undelivered telemetry.</summary>
    public IForensicsUpload? Forensics { get; init; }

    public Action<AgentLogEntry>? Log { get; init; }
}

/// <summary>A consistent view of the agent for dashboards, the simulator and tests.</summary>
/// <param name="CertificateNotAfter">Expiry of the certificate in force; null while not enrolled.</param>
/// <param name="LastPhase">The last assignment phase reported (downloading … rolled-back).</param>
/// <param name="LastError">The last failed step, e.g. "check-in: 503 unavailable: …"; cleared by the next success of that step.</param>
/// <param name="SecurityVersionFloor">The anti-rollback floor; it rises only after an install committed.</param>
public sealed record AgentStatus(
    string DeviceId,
    DateTimeOffset? CertificateNotAfter,
    InstalledSoftware Installed,
    InstructionView? LastInstruction,
    string? LastPhase,
    string? LastFailureReason,
    bool Isolated,
    string? LastError,
    DateTimeOffset? LastCheckInAt,
    long SecurityVersionFloor);

/// <summary>What one check-in did: the last instruction received, the assignment reports sent, and what runs afterwards.</summary>
public sealed record CheckInOutcome(InstructionView Instruction, IReadOnlyList<AssignmentReport> Reported, InstalledSoftware Installed);

/// <summary>What one telemetry round did: reports the server accepted, and why delivery stopped if it did.</summary>
public sealed record TelemetryOutcome(int Delivered, string? Error);

/// <summary>One server command and what the agent did with it.</summary>
public sealed record CommandResult(string CommandId, string Kind, CommandOutcome Outcome);
