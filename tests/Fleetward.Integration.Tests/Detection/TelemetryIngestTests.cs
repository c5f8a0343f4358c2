using System.Text.Json;
using Fleetward.Agent.Commands;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Fleetward.Trust.Commands;
using Fleetward.Core.Tests.Detection;
using Xunit.Abstractions;

namespace Fleetward.Integration.Tests.Detection;

/// <summary>
/// The server's ingest → detection → incident → playbook chain over a real store, and the agent's real
/// CommandHandler fed the commands it produced.
/// </summary>
public abstract class TelemetryIngestTests(TestEngine engine, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset DayZero = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
    private DetectionRig _rig = null!;

    public async Task InitializeAsync() => _rig = await DetectionRig.StartAsync(engine, DayZero.AddMinutes(-1440));

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_playbook_cannot_move_a_device_where_the_lifecycle_forbids_and_the_refusal_is_audited()
    {
        await _rig.AddDeviceAsync("gone-1", "rover-x", DeviceLifecycleState.Decommissioned);
        var release = new PlannedResponse(ResponseAction.ReleaseFromQuarantine, "gone-1", null, "operator:test", "back to work",
            [new SetDeviceStateEffect("gone-1", DeviceLifecycleState.Active)]);

        await using (var work = await _rig.Store.BeginAsync())
        {
            var executed = await _rig.Executor.ExecuteAsync(work, release, _rig.Clock.GetUtcNow(), default);
            Assert.Equal(DeviceLifecycleState.Decommissioned, executed.DeviceStateAfter);
            await work.CommitAsync();
        }

        Assert.Equal(DeviceLifecycleState.Decommissioned, (await _rig.DeviceAsync("gone-1")).State);
        var audit = await _rig.AuditTypesAsync("gone-1");
        Assert.Contains("device.state.change.refused", audit);
        Assert.DoesNotContain("device.state.changed", audit);
    }

    [Fact]
    public async Task Mirai_like_device_is_detected_on_its_first_infected_report_quarantined_and_sent_an_isolate_command()
    {
        var device = await _rig.AddDeviceAsync("rover-1", "rover-x");
        for (var minute = 0; minute < 5; minute++)
        {
            var benign = await SendAsync(device, Report(device.Id, minute));
            Assert.True(benign.Accepted);
            Assert.Empty(benign.IncidentsOpened);
        }

        var infected = Report(device.Id, 5) with { TcpConnections = TelnetScan(40) };
        var result = await SendAsync(device, infected);

        var incident = Assert.Single(result.IncidentsOpened);
        Assert.Equal(DetectionCauses.MiraiLike, incident.Cause);
        Assert.Equal(infected.SampledAt, incident.FirstAnomalousAt);
        Assert.InRange(incident.TimeToDetect, TimeSpan.Zero, TimeSpan.FromSeconds(infected.IntervalSeconds));
        Assert.Equal(DeviceLifecycleState.Quarantined, result.DeviceStateAfter);
        Assert.Equal(DeviceLifecycleState.Quarantined, (await _rig.DeviceAsync(device.Id)).State);

        await using var read = await _rig.Store.ReadAsync();
        var stored = await read.Incidents.GetAsync(incident.Id);
        Assert.NotNull(stored);
        Assert.Equal(IncidentStatus.Contained, stored.Status);
        var actions = (await read.Incidents.ListActionsAsync(incident.Id)).Select(a => a.Action).ToHashSet();
        Assert.Superset(new HashSet<ResponseAction> { ResponseAction.Quarantine, ResponseAction.ForensicLogPull, ResponseAction.RotateCredentials }, actions);
        var commands = await read.DeviceCommands.ListOutstandingAsync(device.Id, _rig.Clock.Now);
        Assert.Contains(commands, c => c.Kind == DeviceCommandKind.Isolate && c.IncidentId == incident.Id);
        Assert.Equal(infected.Sequence, (await read.Telemetry.GetLatestAsync(device.Id))!.Sequence);
        var audit = await AuditTypesAsync(incident.Id, device.Id);
        Assert.Superset(new HashSet<string> { "incident.opened", "incident.contained", "response.quarantine", "device.state.changed", "device.command.issued" }, audit);

        // The agent obeys the isolate command signed by the server command key.
        using var agent = new AgentUnderTest(device.Id, _rig.CommandKey, _rig.Clock);
        var isolate = commands.First(c => c.Kind == DeviceCommandKind.Isolate);
        var outcome = await agent.Handler.HandleAsync(SignedCommand.FromJson(isolate.Envelope), default);
        Assert.Equal(CommandOutcomeKind.Executed, outcome.Kind);
        Assert.True(agent.Isolation.IsIsolated);

        // A quarantined device keeps reporting; the open incident absorbs further detections instead of a second one.
        var again = await SendAsync(device, Report(device.Id, 6) with { TcpConnections = TelnetScan(40) });
        Assert.True(again.Accepted);
        Assert.Empty(again.IncidentsOpened);
        Assert.Empty(again.Responses);
    }

    [Fact]
    public async Task Forged_expired_replayed_and_wrong_device_commands_are_refused_by_the_agent()
    {
        using var agent = new AgentUnderTest("rover-1", _rig.CommandKey, _rig.Clock);
        var now = _rig.Clock.Now;

        var forgedKey = ServerCommandKey.Ephemeral();
        var forged = new DeviceCommandIssuer(forgedKey, TimeSpan.FromHours(1)).Issue("rover-1", DeviceCommandKind.Zeroize, null, now);
        Assert.Equal(CommandRefusal.BadSignature, (await agent.HandleAsync(forged.Envelope)).Refusal);

        var wrongDevice = _rig.Issuer.Issue("rover-2", DeviceCommandKind.Zeroize, null, now);
        Assert.Equal(CommandRefusal.WrongDevice, (await agent.HandleAsync(wrongDevice.Envelope)).Refusal);

        var tampered = SignedCommand.FromJson(_rig.Issuer.Issue("rover-2", DeviceCommandKind.Isolate, null, now).Envelope);
        var rebound = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(tampered.Payload).Replace("rover-2", "rover-1"));
        Assert.Equal(CommandRefusal.BadSignature, (await agent.HandleAsync((tampered with { Payload = rebound }).ToJson())).Refusal);

        var good = _rig.Issuer.Issue("rover-1", DeviceCommandKind.Isolate, null, now);
        Assert.Equal(CommandOutcomeKind.Executed, (await agent.HandleAsync(good.Envelope)).Kind);
        Assert.Equal(CommandRefusal.Replayed, (await agent.HandleAsync(good.Envelope)).Refusal);

        var expiring = _rig.Issuer.Issue("rover-1", DeviceCommandKind.Release, null, now);
        _rig.Clock.Now = expiring.ExpiresAt + CommandVerifierOptions.Default.ClockSkew + TimeSpan.FromSeconds(1);
        Assert.Equal(CommandRefusal.Expired, (await agent.HandleAsync(expiring.Envelope)).Refusal);
        Assert.True(agent.Isolation.IsIsolated);
        Assert.Equal(0, agent.Rotations);
    }

    [Fact]
    public async Task Bad_batches_name_the_field_and_change_nothing()
    {
        var device = await _rig.AddDeviceAsync("rover-1", "rover-x");
        var other = await SendAsync(device, Report("rover-2", 1));
        Assert.Equal("reports[0].device_id", other.Error?.Field);
        var bad = await _rig.Ingest.IngestAsync(device, "{\"reports\":[{\"device_id\":\"rover-1\"}]}"u8.ToArray(), default);
        Assert.NotNull(bad.Error);
        Assert.StartsWith("reports", bad.Error.Field);
        await using var read = await _rig.Store.ReadAsync();
        Assert.Null(await read.Telemetry.GetLatestAsync(device.Id));
    }

    [Fact]
    public async Task A_device_over_its_rate_limit_is_told_when_to_retry()
    {
        var device = await _rig.AddDeviceAsync("rover-1", "rover-x");
        var limit = TelemetryRateLimit.Default;
        _rig.Clock.Now = DayZero.AddMinutes(limit.Burst + 1);
        Task<TelemetryIngestResult> Send(int minute) =>
            _rig.Ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = [Report(device.Id, minute)] }), default);
        for (var i = 0; i < limit.Burst; i++) Assert.True((await Send(i)).Accepted);
        var refused = await Send(limit.Burst);
        Assert.False(refused.Accepted);
        Assert.Null(refused.Error);
        Assert.Equal(TimeSpan.FromSeconds(60 / limit.BatchesPerMinute), refused.RetryAfter);
        _rig.Clock.Now += refused.RetryAfter!.Value;
        Assert.True((await Send(limit.Burst)).Accepted);
    }

    [Fact]
    public async Task Snapshots_survive_a_restart_so_replays_stay_stale()
    {
        var device = await _rig.AddDeviceAsync("rover-1", "rover-x");
        var report = Report(device.Id, 7);
        Assert.Equal(1, (await SendAsync(device, report)).Scored);
        Assert.Equal(1, await _rig.Detection.SaveAsync(default));
        await using var read = await _rig.Store.ReadAsync();
        var snapshot = Assert.Single(await read.DetectionSnapshots.ListDevicesAsync());
        Assert.Equal(report.Sequence, snapshot.LastSequence);

        var restarted = new DetectionHost(_rig.Store, new DetectionServerOptions(), _rig.Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<DetectionHost>.Instance);
        await restarted.StartAsync(default);
        await restarted.Restored;
        Assert.Equal(DetectionOutcomeStatus.StaleSequence, restarted.Evaluate(Report(device.Id, 7), new DeviceProfile("rover-x"), _rig.Clock.Now).Status);
        await restarted.StopAsync(default);
    }

    [Fact]
    public async Task Benign_fleet_through_ingest_raises_no_more_than_a_tenth_of_a_percent_false_positives_and_mirai_is_quarantined()
    {
        const int devices = 200;
        const int measuredMinutes = 120;
        const int batch = 30;
        var fleet = new SyntheticFleet(devices, 20261121, DayZero);
        var registered = new Dictionary<string, Device>();
        await using (var work = await _rig.Store.BeginAsync())
        {
            foreach (var d in fleet.Devices)
            {
                var device = new Device(d.Id, d.Model, null, [], DeviceLifecycleState.Active, _rig.Clock.Now, null, null);
                await work.Devices.InsertAsync(device);
                registered[d.Id] = device;
            }
            await work.CommitAsync();
        }

        // The learning day: scored by the server's own engine, as if ingested before this test's window.
        for (var minute = -1440; minute < 0; minute++)
        {
            foreach (var d in fleet.Devices)
            {
                var report = fleet.Report(d, minute);
                _rig.Detection.Evaluate(report, new DeviceProfile(d.Model), report.SampledAt.AddSeconds(2));
            }
        }

        const string infectedId = "sim-0007";
        const int infectedAt = 65;
        var falsePositives = new List<Incident>();
        Incident? mirai = null;
        for (var start = 0; start < measuredMinutes; start += batch)
        {
            _rig.Clock.Now = DayZero.AddMinutes(start + batch).AddSeconds(2);
            foreach (var d in fleet.Devices)
            {
                var reports = Enumerable.Range(start, batch).Select(m => fleet.Report(d, m))
                    .Select(r => d.Id == infectedId && r.Sequence - 10_000 >= infectedAt ? r with { TcpConnections = TelnetScan(30) } : r)
                    .ToList();
                var result = await _rig.Ingest.IngestAsync(registered[d.Id], TelemetryCodec.Encode(new TelemetryBatch { Reports = reports }), default);
                Assert.True(result.Accepted, result.Error?.ToString());
                foreach (var incident in result.IncidentsOpened)
                {
                    if (d.Id == infectedId && incident.Cause == DetectionCauses.MiraiLike) mirai = incident;
                    else falsePositives.Add(incident);
                }
            }
        }

        var deviceDays = devices * measuredMinutes / 1440.0;
        output.WriteLine($"{engine}: {devices * measuredMinutes} reports, {falsePositives.Count} false positives over {deviceDays} device-days");
        Assert.True(falsePositives.Count / deviceDays <= 0.001, string.Join("; ", falsePositives.Select(f => $"{f.DeviceId} {f.Cause} {f.Summary}")));
        Assert.NotNull(mirai);
        Assert.Equal(fleet.Report(fleet.Devices[7], infectedAt).SampledAt, mirai.FirstAnomalousAt);
        Assert.Equal(DeviceLifecycleState.Quarantined, (await _rig.DeviceAsync(infectedId)).State);
        await using var read = await _rig.Store.ReadAsync();
        Assert.Equal(1, await read.Devices.CountAsync(DeviceLifecycleState.Quarantined));
        Assert.Contains(await read.DeviceCommands.ListOutstandingAsync(infectedId, _rig.Clock.Now), c => c.Kind == DeviceCommandKind.Isolate);
    }

    /// <summary>Audit record types about the incident or the device, read back through the audit table of the store.</summary>
    private async Task<HashSet<string>> AuditTypesAsync(params string[] subjects)
    {
        var types = new HashSet<string>();
        foreach (var subject in subjects) types.UnionWith(await _rig.AuditTypesAsync(subject));
        return types;
    }

    private async Task<TelemetryIngestResult> SendAsync(Device device, TelemetryReport report)
    {
        _rig.Clock.Now = report.SampledAt.AddSeconds(2);
        return await _rig.Ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = [report] }), default);
    }

    private static TelemetryReport Report(string deviceId, int minute) => new()
    {
        DeviceId = deviceId,
        Sequence = minute + 1,
        SampledAt = DayZero.AddMinutes(minute),
        IntervalSeconds = 60,
        CpuPercent = 12,
        MemoryUsedBytes = 300_000_000,
        MemoryTotalBytes = 1_000_000_000,
        Network = new NetworkCounters { BytesIn = 60_000, BytesOut = 90_000, PacketsIn = 80, PacketsOut = 110 },
        TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
        Listeners = [new ListeningSocket { Protocol = TransportProtocol.Tcp, Port = 22, Pid = 412, ProcessName = "sshd" }],
        ProcessCount = 85,
        UptimeSeconds = 86_400 + minute * 60,
        BootCount = 3,
    };

    private static IReadOnlyList<TcpConnection> TelnetScan(int targets)
    {
        var rng = new Random(targets);
        return [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }, .. Enumerable.Range(0, targets).Select(_ => new TcpConnection
        {
            RemoteAddress = $"{rng.Next(1, 224)}.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(1, 255)}",
            RemotePort = rng.Next(10) < 9 ? 23 : 2323,
            State = TcpConnectionState.SynSent,
        })];
    }

    /// <summary>The real agent command path (verifier, durable nonce store, isolation flag, key zeroizer) in a temp directory.</summary>
    private sealed class AgentUnderTest : IDisposable, ICredentialRotation, IReAttestation, IForensicsUpload
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("fleetward-agent-");

        public AgentUnderTest(string deviceId, ServerCommandKey trusted, TimeProvider clock)
        {
            var pinned = System.Security.Cryptography.ECDsa.Create();
            pinned.ImportFromPem(trusted.PublicKeyPem);
            Isolation = new IsolationFlag(Path.Combine(_directory.FullName, "isolated"));
            Directory.CreateDirectory(Path.Combine(_directory.FullName, "keys"));
            Handler = new CommandHandler(new CommandVerifier([pinned]), deviceId, new FileCommandNonceStore(Path.Combine(_directory.FullName, "nonces")), clock,
                new CommandResponders(Isolation, new KeyZeroizer(Path.Combine(_directory.FullName, "keys")), this, this, this));
        }

        public CommandHandler Handler { get; }
        public IsolationFlag Isolation { get; }
        public int Rotations { get; private set; }

        public Task<CommandOutcome> HandleAsync(string envelope) => Handler.HandleAsync(SignedCommand.FromJson(envelope), default);

        public Task RotateAsync(CancellationToken cancellationToken)
        {
            Rotations++;
            return Task.CompletedTask;
        }

        public Task ReAttestAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task UploadAsync(string commandId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => _directory.Delete(recursive: true);
    }
}

public sealed class SqliteTelemetryIngestTests(ITestOutputHelper output) : TelemetryIngestTests(TestEngine.Sqlite, output);

public sealed class PostgresTelemetryIngestTests(ITestOutputHelper output) : TelemetryIngestTests(TestEngine.Postgres, output);
