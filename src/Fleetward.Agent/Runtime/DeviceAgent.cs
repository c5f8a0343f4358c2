using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Slots;
using Fleetward.Agent.Telemetry;
using Fleetward.Agent.Tuf;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Telemetry;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Runtime;

/// <summary>
/// The device agent: composes enrollment (EST), the TUF updater, the A/B installer, telemetry and signed commands into
/// the steps a device repeats: enroll, check in (and carry out the instruction), report telemetry, process commands.
/// Each step is a public method so the simulator can drive thousands of agents from its own scheduler on a fake
/// clock; <see cref="RunAsync"/> is the loop a real device runs. Steps of one agent never overlap.
/// </summary>
public sealed partial class DeviceAgent : IAsyncDisposable
{
    private const int TelemetryBatchReports = 100;
    private const long TelemetryBatchBytes = 256 * 1024;
    private const int MaxOutcomeDetail = 1024;

    private readonly DeviceAgentOptions options;
    private readonly DeviceAgentPorts ports;
    private readonly TimeProvider time;
    private readonly string identityDirectory;
    private readonly IDeviceKeyStore keys;
    private readonly Enroller enroller;
    private readonly IsolationFlag isolation;
    private readonly KeyZeroizer zeroizer;
    private readonly FileCommandNonceStore nonces;
    private readonly SlotReleaseFile slotReleases;
    private readonly UpdateRecordFile updateRecords;
    private readonly TufMetadataDirectory tufStore;
    private readonly string downloadDirectory;
    private readonly string commandKeyFile;
    private readonly ReportBuffer telemetryBuffer;
    private readonly TelemetryReportMapper telemetryMapper;
    private readonly AgentSchedule schedule;
    private readonly SemaphoreSlim steps = new(1, 1);
    private readonly Lock statusLock = new();
    private readonly List<AgentFailure> integrityFailures = [];
    private readonly List<AgentFailure> installFailures = [];

    private X509Certificate2? certificate;
    private X509Certificate2? rotatedCertificate;
    private HttpClient? http;
    private DeviceApiClient? api;
    private CommandHandler? commandHandler;
    private bool resumed;
    private bool identityRejected;
    private bool rebootPending;
    private InstructionView? lastInstruction;
    private string? lastPhase;
    private string? lastFailureReason;
    private string? lastError;
    private DateTimeOffset? lastCheckInAt;

    public DeviceAgent(DeviceAgentOptions options, DeviceAgentPorts ports)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ports);
        if (!TelemetryReportValidator.IsValidDeviceId(options.DeviceId))
        {
            throw new ArgumentException($"{nameof(options.DeviceId)}: '{options.DeviceId}' must be 1-128 characters of A-Z a-z 0-9 . _ : -", nameof(options));
        }
        if (options.ProductionDevice && options.CommandKey is null)
        {
            // Trust on first use would let whoever answers the first enrollment pin its own key for isolate and zeroize.
            throw new ArgumentException($"{nameof(options.CommandKey)}: a production device must be provisioned with the server command key; "
                + "fetching it on first use is allowed on development devices only", nameof(options));
        }
        // Relative paths (device/v1/..., tuf/...) resolve below the server's base path only when it ends in a slash.
        this.options = options.Server.AbsoluteUri.EndsWith('/') ? options : options with { Server = new Uri(options.Server.AbsoluteUri + "/") };
        options = this.options;
        this.ports = ports;
        time = ports.Time;
        var state = Directory.CreateDirectory(options.StateDirectory).FullName;
        identityDirectory = Directory.CreateDirectory(Path.Combine(state, "identity")).FullName;
        keys = ports.Keys ?? new FileDeviceKeyStore(Path.Combine(identityDirectory, "device.key"));
        enroller = new Enroller(new EnrollerOptions(options.Server, options.DeviceId, identityDirectory, options.FleetRoot, keys), options.Enrollment, time, ports.Random);
        isolation = new IsolationFlag(Path.Combine(state, "isolated"));
        zeroizer = new KeyZeroizer(identityDirectory, keys is Pkcs11DeviceKeyStore ? "a PKCS#11 token" : null);
        nonces = new FileCommandNonceStore(Path.Combine(state, "command-nonces"));
        slotReleases = new SlotReleaseFile(Path.Combine(state, "slot-releases.json"));
        updateRecords = new UpdateRecordFile(Path.Combine(state, "update.json"));
        tufStore = new TufMetadataDirectory(Path.Combine(state, "tuf"));
        downloadDirectory = Path.Combine(state, "downloads");
        commandKeyFile = Path.Combine(state, "command-key.pem");
        telemetryBuffer = new ReportBuffer(Path.Combine(state, "telemetry", "buffer"), Math.Max(options.TelemetryBufferBytes, 64 * 1024), 64 * 1024);
        telemetryMapper = new TelemetryReportMapper(options.DeviceId, Path.Combine(state, "telemetry", "sequence"), options.Intervals.Telemetry);
        schedule = new AgentSchedule(options.Intervals, ports.Random, time.GetUtcNow());

        if (!slotReleases.Exists)
        {
            // First start: the running slot holds what the factory flashed, and nothing older may ever be installed.
            // The floor rises first (idempotent): the slot file marks the first start as done, so a power loss between
            // the two must not leave a device whose floor was never raised.
            tufStore.RaiseInstalledSecurityVersion(options.Factory.SecurityVersion);
            slotReleases.Set(ports.Slots.Running.Current, new SlotRelease(options.Factory.ReleaseId, options.Factory.Version, options.Factory.SecurityVersion));
        }
        if (tufStore.Read(TufRoles.Root) is null)
        {
            TufUpdater.Initialize(tufStore, options.TufRoot, time.GetUtcNow());
        }
    }

    public AgentStatus Status
    {
        get
        {
            lock (statusLock)
            {
                return new AgentStatus(
                    options.DeviceId,
                    certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
                    Installed(),
                    lastInstruction,
                    lastPhase,
                    lastFailureReason,
                    isolation.IsIsolated,
                    lastError,
                    lastCheckInAt,
                    tufStore.InstalledSecurityVersion);
            }
        }
    }

    /// <summary>
    /// Enrolls over EST when the device has no usable certificate, re-enrolls when the renewal schedule says so, and
    /// pins the server command key after the first enrollment. Returns whether a certificate is in force; a pending
    /// manual approval or a refusal returns false with <see cref="AgentStatus.LastError"/> saying why.
    /// </summary>
    public async Task<bool> EnsureEnrolledAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await EnrollStepAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>
    /// One check-in, carrying out its instruction to the end (see <see cref="InstructionPlanner"/>): resumes an install
    /// a restart interrupted, reports the installed software (and any final phase the server has not acknowledged),
    /// then installs, rolls back or does nothing. Every phase goes to the server in its own check-in with the attempt.
    /// </summary>
    /// <exception cref="DeviceApiException">The server refused the check-in.</exception>
    /// <exception cref="HttpRequestException">The server was unreachable.</exception>
    public async Task<CheckInOutcome> CheckInAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CheckInStepAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>
    /// Takes one snapshot, maps it to a report, buffers it on disk and sends the buffer oldest first in bounded batches.
    /// An unreachable server or a 429 leaves the reports buffered; a batch the server refuses as invalid is dropped so it
    /// cannot block the buffer forever.
    /// </summary>
    public async Task<TelemetryOutcome> ReportTelemetryAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (await TelemetryStepAsync(cancellationToken).ConfigureAwait(false)).Outcome;
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>
    /// Takes one snapshot and buffers its report without sending it; the next telemetry step sends it with the rest of
    /// the buffer. Lets a caller sample more often than it uploads (issue 7: reports are batched).
    /// </summary>
    public async Task SampleTelemetryAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BufferSample();
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>Fetches the outstanding commands, verifies and executes each, and reports every outcome (refusals included).</summary>
    public async Task<IReadOnlyList<CommandResult>> ProcessCommandsAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CommandsStepAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>
    /// Runs every step due at the current time (enrollment first; nothing else runs until the device holds a
    /// certificate), records successes and failures in the schedule and returns when the next step is due. A failure is
    /// logged and backed off, never thrown.
    /// </summary>
    public async Task<DateTimeOffset> RunDueAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (rebootPending)
            {
                // The system is going down for a reboot; the next process resumes the install.
                return DateTimeOffset.MaxValue;
            }
            var now = time.GetUtcNow();
            if (schedule.IsDue(AgentTask.Enroll, now) || api is null)
            {
                if (!await EnrollStepAsync(cancellationToken).ConfigureAwait(false))
                {
                    schedule.Failed(AgentTask.Enroll, now);
                    return schedule.DueAt(AgentTask.Enroll);
                }
                schedule.Succeeded(AgentTask.Enroll, now);
            }
            await RunTaskAsync(AgentTask.CheckIn, CheckInStepAsync, cancellationToken).ConfigureAwait(false);
            await RunTaskAsync(AgentTask.Commands, CommandsStepAsync, cancellationToken).ConfigureAwait(false);
            await RunTaskAsync(AgentTask.Telemetry, async token =>
            {
                var (outcome, retryAfter) = await TelemetryStepAsync(token).ConfigureAwait(false);
                return outcome.Error is null ? outcome : throw new TelemetryNotDeliveredException(outcome.Error, retryAfter);
            }, cancellationToken).ConfigureAwait(false);
            return rebootPending ? DateTimeOffset.MaxValue : schedule.NextDue;
        }
        finally
        {
            steps.Release();
        }
    }

    /// <summary>The agent's loop: run what is due, then wait on the agent's clock until the next step is due.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Log("info", "agent.start", $"agent for {options.DeviceId} against {options.Server}");
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = await RunDueAsync(cancellationToken).ConfigureAwait(false);
            if (next == DateTimeOffset.MaxValue)
            {
                Log("info", "agent.reboot", "waiting for the reboot that continues the install");
                await Task.Delay(RebootWait, time, cancellationToken).ConfigureAwait(false);
                await GiveUpOnRebootAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            var wait = next - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// How long the loop waits for a reboot it asked for: a reboot that never comes must not leave the device deaf to
    /// commands (isolate, zeroize) forever.
    /// </summary>
    public static readonly TimeSpan RebootWait = TimeSpan.FromMinutes(10);

    /// <summary>The reboot did not come: carry on, and let the next check-in finish the update from the journal's facts.</summary>
    private async Task GiveUpOnRebootAsync(CancellationToken cancellationToken)
    {
        await steps.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (rebootPending)
            {
                Log("warning", "agent.reboot-missing", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no reboot within {RebootWait.TotalMinutes:0} minutes; resuming normal work"));
                rebootPending = false;
                resumed = false;
            }
        }
        finally
        {
            steps.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        http?.Dispose();
        certificate?.Dispose();
        rotatedCertificate?.Dispose();
        steps.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task RunTaskAsync<T>(AgentTask task, Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        if (!schedule.IsDue(task, time.GetUtcNow()) || api is null)
        {
            return;
        }
        try
        {
            await step(cancellationToken).ConfigureAwait(false);
            schedule.Succeeded(task, time.GetUtcNow());
            ClearError();
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The loop of a device must outlive any one failure: every failure is logged and backed off, none is fatal.
            var retryAfter = error switch
            {
                DeviceApiException { RetryAfter: { } wait } => wait,
                TelemetryNotDeliveredException { RetryAfter: { } wait } => wait,
                _ => (TimeSpan?)null,
            };
            schedule.Failed(task, time.GetUtcNow(), retryAfter);
            if (error is TelemetryNotDeliveredException)
            {
                return;
            }
            Fail(task.ToString().ToLowerInvariant(), error);
            if (error is DeviceApiException { Code: "device-unauthenticated" })
            {
                // The server no longer accepts this certificate (revoked, expired): enroll again through the bootstrap credential.
                identityRejected = true;
                schedule.DueNow(AgentTask.Enroll, time.GetUtcNow());
            }
        }
    }

    private static bool IsTransient(Exception error, CancellationToken cancellationToken) =>
        error is DeviceApiException or HttpRequestException or IOException or InvalidDataException or TufTrustException
        || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private async Task<bool> EnrollStepAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (identityRejected)
            {
                DropIdentity(deleteCertificate: true);
                keys.Rotate().Dispose();
                identityRejected = false;
            }
            var (decision, enrolled) = await enroller.StepAsync(rotationForced: false, cancellationToken).ConfigureAwait(false);
            if (enrolled is null)
            {
                lock (statusLock)
                {
                    lastError = $"enrollment: waiting for approval until {decision.At:O}";
                }
                return false;
            }
            UseCertificate(enrolled);
            if (commandHandler is null)
            {
                commandHandler = await CreateCommandHandlerAsync(cancellationToken).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Refusals, an unreachable server, an unreadable key: the schedule retries with backoff, the loop goes on.
            Fail("enrollment", error);
            return false;
        }
    }

    /// <summary>The API client of the certificate in force, enrolling first when there is none.</summary>
    private async Task<DeviceApiClient> RequireApiAsync(CancellationToken cancellationToken)
    {
        if (api is null && !await EnrollStepAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"not enrolled: {Status.LastError}");
        }
        return api!;
    }

    /// <summary>Uses <paramref name="enrolled"/> for every later call, replacing the HTTP client only when the certificate changed.</summary>
    private void UseCertificate(X509Certificate2 enrolled)
    {
        if (certificate is not null && certificate.RawData.AsSpan().SequenceEqual(enrolled.RawData) && api is not null)
        {
            enrolled.Dispose();
            return;
        }
        http?.Dispose();
        lock (statusLock)
        {
            certificate?.Dispose();
            certificate = enrolled;
        }
        http = DeviceTlsClient.Create(options.Server, options.FleetRoot, enrolled);
        api = new DeviceApiClient(http);
        Log("info", "identity.certificate", $"certificate valid until {enrolled.NotAfter.ToUniversalTime():O}");
    }

    /// <summary>Forgets the identity in memory (and on disk when asked); the next enrollment step starts over.</summary>
    private void DropIdentity(bool deleteCertificate)
    {
        http?.Dispose();
        http = null;
        api = null;
        lock (statusLock)
        {
            certificate?.Dispose();
            certificate = null;
        }
        if (deleteCertificate && File.Exists(enroller.CertificatePath))
        {
            File.Delete(enroller.CertificatePath);
        }
    }

    /// <summary>The command verifier over the pinned key: given in the options, kept from an earlier run, or fetched once now.</summary>
    private async Task<CommandHandler> CreateCommandHandlerAsync(CancellationToken cancellationToken)
    {
        var key = options.CommandKey;
        if (key is null)
        {
            key = ECDsa.Create();
            if (File.Exists(commandKeyFile))
            {
                key.ImportFromPem(await File.ReadAllTextAsync(commandKeyFile, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                var view = await api!.GetCommandKeyAsync(cancellationToken).ConfigureAwait(false);
                key.ImportFromPem(view.PublicKeyPem);
                if (CommandKeyId.Of(key) != view.KeyId)
                {
                    throw new InvalidDataException($"command-key: keyId {view.KeyId} is not the SHA-256 of the key it came with");
                }
                DurableFile.WriteAllText(commandKeyFile, view.PublicKeyPem.TrimEnd('\n') + "\n");
                Log("info", "commands.key-pinned", $"server command key {view.KeyId} pinned");
            }
        }
        return new CommandHandler(new CommandVerifier([key]), options.DeviceId, nonces, time,
            new CommandResponders(isolation, zeroizer, new CredentialRotation(this), ports.Attestation ?? Unavailable.Instance, ports.Forensics ?? new ForensicsUpload(this)));
    }

    /// <summary>Samples once and buffers the report; returns why not when the snapshot could not be read (already logged).</summary>
    private string? BufferSample()
    {
        SystemSnapshot snapshot;
        try
        {
            snapshot = ports.Snapshots.Collect();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            Fail("telemetry", error);
            return $"collecting the snapshot failed: {error.Message}";
        }
        List<AgentFailure> integrity;
        List<AgentFailure> install;
        lock (statusLock)
        {
            integrity = [.. integrityFailures];
            install = [.. installFailures];
            integrityFailures.Clear();
            installFailures.Clear();
        }
        telemetryBuffer.Append(TelemetryCodec.Encode(telemetryMapper.Map(snapshot, integrity, install)));
        return null;
    }

    private async Task<(TelemetryOutcome Outcome, TimeSpan? RetryAfter)> TelemetryStepAsync(CancellationToken cancellationToken)
    {
        if (BufferSample() is { } sampleError)
        {
            return (new TelemetryOutcome(0, sampleError), null);
        }
        if (api is null && !await EnrollStepAsync(cancellationToken).ConfigureAwait(false))
        {
            return (new TelemetryOutcome(0, "not enrolled: the report stays buffered"), null);
        }
        var client = api!;
        var delivered = 0;
        while (true)
        {
            var batch = telemetryBuffer.ReadBatch(TelemetryBatchReports, TelemetryBatchBytes);
            if (batch.Count == 0)
            {
                return (new TelemetryOutcome(delivered, null), null);
            }
            try
            {
                await client.SendTelemetryAsync([.. batch.Select(r => r.Payload)], cancellationToken).ConfigureAwait(false);
                delivered += batch.Count;
            }
            catch (DeviceApiException error) when (error.Status == HttpStatusCode.BadRequest)
            {
                // The server will never accept this batch; keeping it would block every later report.
                Log("warning", "telemetry.dropped", $"{batch.Count} reports refused as invalid and dropped", error.Message);
            }
            catch (Exception error) when (IsTransient(error, cancellationToken))
            {
                Fail("telemetry", error);
                return (new TelemetryOutcome(delivered, error.Message), (error as DeviceApiException)?.RetryAfter);
            }
            telemetryBuffer.Acknowledge(batch[^1]);
        }
    }

    private async Task<IReadOnlyList<CommandResult>> CommandsStepAsync(CancellationToken cancellationToken)
    {
        var client = await RequireApiAsync(cancellationToken).ConfigureAwait(false);
        var batch = await client.GetCommandsAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<CommandResult>();
        foreach (var view in batch.Commands)
        {
            var outcome = await HandleCommandAsync(view, cancellationToken).ConfigureAwait(false);
            var status = outcome.Kind switch
            {
                CommandOutcomeKind.Executed => "completed",
                CommandOutcomeKind.Refused => "refused",
                _ => "failed",
            };
            var detail = outcome.Refusal is { } refusal ? $"{refusal}: {outcome.Detail}" : outcome.Detail;
            try
            {
                await client.ReportCommandOutcomeAsync(view.Id, new CommandOutcomeReport(status, detail.Length > MaxOutcomeDetail ? detail[..MaxOutcomeDetail] : detail),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (DeviceApiException error) when (error.Status == HttpStatusCode.Conflict)
            {
                // Reported before (an earlier round lost the answer): the server keeps the first outcome.
            }
            results.Add(new CommandResult(view.Id, view.Kind, outcome));
            Log(outcome.Kind == CommandOutcomeKind.Executed ? "info" : "warning", "commands.outcome", $"{view.Kind} {view.Id}: {status}: {detail}");
            if (outcome.Kind == CommandOutcomeKind.Executed && AfterCommand(outcome.Type))
            {
                // The identity changed under this connection: the rest of the batch is fetched again with the new one.
                break;
            }
        }
        return results;
    }

    private async Task<CommandOutcome> HandleCommandAsync(DeviceCommandView view, CancellationToken cancellationToken)
    {
        if (commandHandler is null)
        {
            return new CommandOutcome(CommandOutcomeKind.Refused, null, null, CommandRefusal.BadSignature, "no server command key is pinned on this device");
        }
        SignedCommand envelope;
        try
        {
            envelope = SignedCommand.FromJson(view.Envelope.ToJsonString());
        }
        catch (Exception error) when (error is FormatException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new CommandOutcome(CommandOutcomeKind.Refused, null, null, CommandRefusal.Malformed, $"envelope: {error.Message}");
        }
        return await commandHandler.HandleAsync(envelope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Effects that must wait until the outcome was reported with the old identity; true when the identity changed.</summary>
    private bool AfterCommand(string? type)
    {
        if (type == CommandType.Zeroize.ToName())
        {
            // The key files are gone; the certificate without its key is useless: only the bootstrap credential remains.
            DropIdentity(deleteCertificate: true);
            schedule.DueNow(AgentTask.Enroll, time.GetUtcNow());
            return true;
        }
        if (type == CommandType.RotateCredentials.ToName() && rotatedCertificate is { } rotated)
        {
            rotatedCertificate = null;
            UseCertificate(rotated);
            return true;
        }
        return false;
    }

    /// <summary>Re-enrolls with a new key (RFC 7030 4.2.2); a server that already revoked the old certificate gets a fresh enrollment instead.</summary>
    private async Task RotateCredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (_, rotated) = await enroller.StepAsync(rotationForced: true, cancellationToken).ConfigureAwait(false);
            rotatedCertificate = rotated ?? throw new InvalidOperationException("the server holds the re-enrollment for manual approval");
        }
        catch (EstRefusedException)
        {
            identityRejected = true;
            schedule.DueNow(AgentTask.Enroll, time.GetUtcNow());
            throw;
        }
    }

    private InstalledSoftware Installed()
    {
        var running = ports.Slots.Running.Current;
        var release = slotReleases.Get(running);
        return new InstalledSoftware(release?.ReleaseId, release?.Version, release?.SecurityVersion, running.ToName());
    }

    private void Fail(string step, Exception error)
    {
        lock (statusLock)
        {
            lastError = $"{step}: {error.Message}";
        }
        Log("warning", step + ".failed", error.Message, error.GetType().Name);
    }

    private void ClearError()
    {
        lock (statusLock)
        {
            lastError = null;
        }
    }

    private void Log(string level, string @event, string message, string? error = null)
    {
        var entry = new AgentLogEntry(time.GetUtcNow(), level, @event, message, error);
        lock (statusLock)
        {
            RememberLog(entry);
        }
        ports.Log?.Invoke(entry);
    }

    /// <summary>A telemetry round that ended with reports still buffered (already logged), for the schedule's backoff.</summary>
    private sealed class TelemetryNotDeliveredException(string message, TimeSpan? retryAfter) : Exception(message)
    {
        public TimeSpan? RetryAfter { get; } = retryAfter;
    }

    private sealed class CredentialRotation(DeviceAgent agent) : ICredentialRotation
    {
        public Task RotateAsync(CancellationToken cancellationToken) => agent.RotateCredentialsAsync(cancellationToken);
    }

    /// <summary>What answers a command this device has no component for: the command is reported failed, saying so.</summary>
    private sealed class Unavailable : IReAttestation
    {
        public static readonly Unavailable Instance = new();

        public Task ReAttestAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException("this device has no attestor (TPM) configured");
    }
}
