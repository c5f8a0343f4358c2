using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Server.Rollouts;

namespace Fleetward.Integration.Tests.Agent;

/// <summary>
/// One agent against the real server over real mutual TLS: enrollment, check-in, installs verified through the
/// server's TUF repository, refusals, the A/B fallback, telemetry, commands and the quarantine allowance.
/// </summary>
public sealed class AgentEndToEndTests(AgentEndToEndTests.ServerFixture fixture) : IClassFixture<AgentEndToEndTests.ServerFixture>
{
    private readonly AgentFleetServer server = fixture.Server;

    /// <summary>One server for the class; every test's devices have a model of their own, so one test's rollouts never reach another's devices.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        public AgentFleetServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await AgentFleetServer.StartAsync();

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    /// <summary>A token-enrolled device in a group (and of a model) of its own.</summary>
    private async Task<VirtualDevice> DeviceAsync(string id, Func<HealthCheckContext, HealthResult>? health = null)
    {
        await server.CreateGroupAsync("g-" + id, "m-" + id);
        return await server.NewDeviceAsync("g-" + id, id, health, model: "m-" + id);
    }

    private Task<PublishedRelease> PublishAsync(VirtualDevice device, string version, long securityVersion) =>
        server.PublishAsync(Image($"rootfs {version} for {device.Model}"), version, securityVersion, hardware: device.Model, fileName: device.Model + ".img");

    private Task<RolloutView> RolloutAsync(VirtualDevice device, string id, PublishedRelease release) =>
        server.StartRolloutAsync(id, release, selection: new SelectionSpec(Model: device.Model));

    private static byte[] Image(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text), .. RandomNumberGenerator.GetBytes(4096)];

    [Fact]
    public async Task Enrolls_checks_in_and_installs_the_release_a_rollout_assigns()
    {
        await using var device = await DeviceAsync("rover-1");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);
        var idle = await device.Agent.CheckInAsync(default);
        Assert.Equal("none", idle.Instruction.Kind);
        Assert.Equal(new Fleetward.Core.DeviceApi.InstalledSoftware(null, "1.0.0", 1, "a"), idle.Installed);

        var release = await PublishAsync(device, "2.0.0", 2);
        await RolloutAsync(device, "r-good", release);
        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal(["downloading", "downloaded", "installing", "rebooting", "verifying", "succeeded"], outcome.Reported.Select(r => r.Phase));
        Assert.All(outcome.Reported, r => Assert.Equal(("r-good", 1), (r.RolloutId, r.Attempt)));
        Assert.Equal(new Fleetward.Core.DeviceApi.InstalledSoftware(release.Id, "2.0.0", 2, "b"), outcome.Installed);
        var status = device.Agent.Status;
        Assert.Equal(2, status.SecurityVersionFloor);
        Assert.Equal("succeeded", status.LastPhase);
        Assert.NotNull(status.CertificateNotAfter);
        Assert.Equal(Slot.B, device.Slots.BootLoader.Current);
        Assert.Equal(release.Image, File.ReadAllBytes(device.Slots.Slots.PathOf(Slot.B)));

        await server.AdvanceAsync(TimeSpan.FromMinutes(1));
        var rollout = await server.RolloutAsync("r-good");
        Assert.Equal("completed", rollout.Status);
        Assert.Equal(1, rollout.Devices["succeeded"]);
        var assignment = Assert.Single(await server.AssignmentsAsync("r-good"));
        Assert.Equal("succeeded", assignment.Status);
        Assert.NotNull(assignment.DownloadingAt);
        Assert.NotNull(assignment.RebootingAt);
        Assert.NotNull(assignment.VerifyingAt);

        // The next check-in reports the new release and gets nothing more to do.
        var after = await device.Agent.CheckInAsync(default);
        Assert.Equal("none", after.Instruction.Kind);
        Assert.Empty(after.Reported);
    }

    [Fact]
    public async Task An_install_interrupted_by_a_real_reboot_is_resumed_by_the_next_agent_which_reports_its_true_state()
    {
        await server.CreateGroupAsync("g-rover-12", "m-rover-12");
        var token = await server.TokenAsync("g-rover-12", "rover-12");
        PublishedRelease spec;
        await using (var before = VirtualDevice.Create(server, "rover-12", EnrollmentCredential.WithToken(token), model: "m-rover-12",
            slots: slots => slots with { Reboot = new PendingReboot() }))
        {
            var release = await PublishAsync(before, "2.0.0", 2);
            spec = release;
            await RolloutAsync(before, "r-reboot", release);

            var first = await before.Agent.CheckInAsync(default);

            Assert.Equal(["downloading", "downloaded", "installing", "rebooting"], first.Reported.Select(r => r.Phase));
            Assert.Equal(DateTimeOffset.MaxValue, await before.Agent.RunDueAsync(default));
            Assert.Equal("rebooting", Assert.Single(await server.AssignmentsAsync("r-reboot")).Status);
            Assert.Equal(1, before.Agent.Status.SecurityVersionFloor);
        }

        // The device reboots into the trial slot and a new agent process starts.
        Assert.Equal(Slot.B, SimulatedSlotDevice.Open(Path.Combine(server.AgentRoot, "rover-12", "slots")).PowerCycle());
        await using var after = VirtualDevice.Create(server, "rover-12", EnrollmentCredential.WithToken(token), model: "m-rover-12");
        var resumed = await after.Agent.CheckInAsync(default);

        Assert.Equal(["verifying", "succeeded"], resumed.Reported.Take(2).Select(r => r.Phase));
        Assert.Equal(("2.0.0", "b"), (resumed.Installed.Version, resumed.Installed.Slot));
        Assert.Equal(2, after.Agent.Status.SecurityVersionFloor);
        Assert.Equal("succeeded", Assert.Single(await server.AssignmentsAsync("r-reboot")).Status);
        Assert.Equal(spec.Id, resumed.Installed.ReleaseId);
    }

    /// <summary>A real device's reboot: the system goes down, nothing boots in this process.</summary>
    private sealed class PendingReboot : IRebootAction
    {
        public Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken) => Task.FromResult(RebootOutcome.Pending);
    }

    [Fact]
    public async Task A_tampered_target_is_refused_and_reported_failed_with_the_reason()
    {
        await using var device = await DeviceAsync("rover-2");
        var release = await PublishAsync(device, "2.0.0", 2);
        server.Tamper(release);
        await RolloutAsync(device, "r-tampered", release);

        var outcome = await device.Agent.CheckInAsync(default);

        var failed = outcome.Reported[^1];
        Assert.Equal("failed", failed.Phase);
        Assert.Contains("LengthOrHashMismatch", failed.FailureReason);
        Assert.Equal("1.0.0", outcome.Installed.Version);
        Assert.Equal(1, device.Agent.Status.SecurityVersionFloor);
        Assert.Equal(Slot.A, device.Slots.BootLoader.Current);
        var assignment = Assert.Single(await server.AssignmentsAsync("r-tampered"));
        Assert.Equal("failed", assignment.Status);
        Assert.Contains("LengthOrHashMismatch", assignment.FailureReason);
    }

    [Fact]
    public async Task A_target_missing_from_TUF_is_refused()
    {
        await using var device = await DeviceAsync("rover-3");
        await RolloutAsync(device, "r-unsigned", await PublishAsync(device, "1.5.0", 1));
        await server.CompromiseRolloutAsync("r-unsigned", "rel_not_in_tuf", "9.9.9", 9);

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal("failed", outcome.Reported[^1].Phase);
        Assert.Contains("TargetNotFound", outcome.Reported[^1].FailureReason);
        Assert.Equal("1.0.0", outcome.Installed.Version);
    }

    [Fact]
    public async Task A_signed_target_below_the_security_version_floor_is_refused()
    {
        await using var device = await DeviceAsync("rover-4");
        // An earlier install raised the floor to 5 and the device then rolled back to the factory slot: it reports
        // security version 1, so the server assigns a signed 2.0.0 (security version 2), which the device must refuse.
        File.WriteAllText(Path.Combine(device.State, "agent", "tuf", "installed_security_version"), "5\n");
        var release = await PublishAsync(device, "2.0.0", 2);
        await RolloutAsync(device, "r-downgrade", release);

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal("failed", outcome.Reported[^1].Phase);
        Assert.Contains("SecurityVersionRollback", outcome.Reported[^1].FailureReason);
        Assert.Equal("1.0.0", outcome.Installed.Version);
        Assert.Equal(5, device.Agent.Status.SecurityVersionFloor);
    }

    [Fact]
    public async Task A_server_naming_another_security_version_than_the_signed_target_is_refused()
    {
        await using var device = await DeviceAsync("rover-5");
        var release = await PublishAsync(device, "2.0.0", 2);
        await RolloutAsync(device, "r-lying", release);
        await server.CompromiseRolloutAsync("r-lying", release.Id, "2.0.0", 7);

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal("failed", outcome.Reported[^1].Phase);
        Assert.Contains("security version 2, the server named 7", outcome.Reported[^1].FailureReason);
    }

    [Fact]
    public async Task A_failing_health_check_falls_back_to_the_old_slot_and_reports_rolled_back()
    {
        await using var device = await DeviceAsync("rover-6", _ => HealthResult.Fail("motor controller does not answer"));
        var release = await PublishAsync(device, "2.0.0", 2);
        await RolloutAsync(device, "r-bad", release);

        var outcome = await device.Agent.CheckInAsync(default);

        Assert.Equal(["downloading", "downloaded", "installing", "rebooting", "verifying", "rolled-back"], outcome.Reported.Select(r => r.Phase));
        Assert.Contains("motor controller does not answer", outcome.Reported[^1].FailureReason);
        Assert.Equal(new Fleetward.Core.DeviceApi.InstalledSoftware(null, "1.0.0", 1, "a"), outcome.Installed);
        Assert.Equal(1, device.Agent.Status.SecurityVersionFloor);
        var assignment = Assert.Single(await server.AssignmentsAsync("r-bad"));
        Assert.Equal("rolled-back", assignment.Status);
    }

    [Fact]
    public async Task Telemetry_reaches_the_server()
    {
        await using var device = await DeviceAsync("rover-7");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default));

        var first = await device.Agent.ReportTelemetryAsync(default);
        server.Clock.Now += TimeSpan.FromMinutes(1);
        var second = await device.Agent.ReportTelemetryAsync(default);

        Assert.Equal(new TelemetryOutcome(1, null), first);
        Assert.Equal(new TelemetryOutcome(1, null), second);
        var view = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-7/telemetry");
        Assert.Equal(1, view.GetProperty("latest").GetProperty("sequence").GetInt64());
        Assert.Equal(60, view.GetProperty("latest").GetProperty("intervalSeconds").GetDouble());
    }

    [Fact]
    public async Task Run_due_enrolls_then_runs_every_step_and_schedules_the_next_within_the_jittered_interval()
    {
        await server.CreateGroupAsync("g-rover-14", "m-rover-14");
        var token = await server.TokenAsync("g-rover-14", "rover-14");
        var intervals = new AgentIntervals(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2)) { Jitter = 0.1 };
        await using var device = VirtualDevice.Create(server, "rover-14", EnrollmentCredential.WithToken(token), intervals: intervals, model: "m-rover-14");
        var release = await PublishAsync(device, "2.0.0", 2);
        await RolloutAsync(device, "r-loop", release);
        var start = server.Clock.Now;

        var next = await device.Agent.RunDueAsync(default);

        var status = device.Agent.Status;
        Assert.Null(status.LastError);
        Assert.Equal("2.0.0", status.Installed.Version);
        Assert.Equal(start, status.LastCheckInAt);
        Assert.InRange(next, start.AddSeconds(54), start.AddSeconds(66));
        var view = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-14/telemetry");
        Assert.Equal(0, view.GetProperty("latest").GetProperty("sequence").GetInt64());

        // Only telemetry is due a minute later; check-in waits for its own interval.
        server.Clock.Now = next;
        await device.Agent.RunDueAsync(default);
        Assert.Equal(start, device.Agent.Status.LastCheckInAt);
        view = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-14/telemetry");
        Assert.Equal(1, view.GetProperty("latest").GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task Rate_limited_telemetry_stays_buffered_and_is_delivered_once_the_server_allows()
    {
        await using var device = await DeviceAsync("rover-13");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(new TelemetryOutcome(1, null), await device.Agent.ReportTelemetryAsync(default));
        }

        var limited = await device.Agent.ReportTelemetryAsync(default);
        server.Clock.Now += TimeSpan.FromSeconds(30);
        var drained = await device.Agent.ReportTelemetryAsync(default);

        Assert.Equal(0, limited.Delivered);
        Assert.Contains("429 rate-limited", limited.Error);
        Assert.Equal(new TelemetryOutcome(2, null), drained);
        var view = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-13/telemetry");
        Assert.Equal(21, view.GetProperty("latest").GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task Quarantine_isolates_the_device_which_keeps_only_the_allowed_routes_until_released()
    {
        await using var device = await DeviceAsync("rover-8");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default));
        var release = await PublishAsync(device, "2.0.0", 2);

        var quarantine = await server.Operator.PostAsJsonAsync("devices/rover-8/playbooks/quarantine", new { reason = "scan fan-out" });
        await AgentFleetServer.EnsureAsync(quarantine);
        var results = await device.Agent.ProcessCommandsAsync(default);

        var isolate = Assert.Single(results);
        Assert.Equal("isolate", isolate.Kind);
        Assert.Equal(CommandOutcomeKind.Executed, isolate.Outcome.Kind);
        Assert.True(device.Agent.Status.Isolated);
        var commands = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-8/commands");
        Assert.Equal("completed", commands.EnumerateArray().Single().GetProperty("status").GetString());

        // Check-in, telemetry and commands stay reachable; the update gate is closed and TUF targets are refused.
        await RolloutAsync(device, "r-quarantine", release);
        var held = await device.Agent.CheckInAsync(default);
        Assert.Equal(("hold", "gate-refused"), (held.Instruction.Kind, held.Instruction.Reason));
        Assert.Equal("1.0.0", held.Installed.Version);
        Assert.Equal(1, (await device.Agent.ReportTelemetryAsync(default)).Delivered);
        Assert.Empty(await device.Agent.ProcessCommandsAsync(default));
        using (var raw = DeviceClient(device))
        {
            var name = release.TargetPath[(release.TargetPath.LastIndexOf('/') + 1)..];
            var target = await raw.GetAsync($"tuf/targets/{release.TargetPath[..^name.Length]}{release.Sha256}.{name}");
            Assert.Equal(HttpStatusCode.Forbidden, target.StatusCode);
            Assert.Contains("device-forbidden", await target.Content.ReadAsStringAsync());
        }

        var released = await server.Operator.PostAsJsonAsync("devices/rover-8/playbooks/release", new { reason = "false positive" });
        await AgentFleetServer.EnsureAsync(released);
        var release2 = Assert.Single(await device.Agent.ProcessCommandsAsync(default));
        Assert.Equal(("release", CommandOutcomeKind.Executed), (release2.Kind, release2.Outcome.Kind));
        Assert.False(device.Agent.Status.Isolated);
        var installed = await device.Agent.CheckInAsync(default);
        Assert.Equal("succeeded", installed.Reported[^1].Phase);
    }

    [Fact]
    public async Task A_forensic_pull_on_a_quarantined_device_uploads_a_bundle_operators_list_download_and_verify()
    {
        await using var device = await DeviceAsync("rover-fx");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default));
        await AgentFleetServer.EnsureAsync(await server.Operator.PostAsJsonAsync("devices/rover-fx/playbooks/quarantine", new { reason = "scan fan-out" }));
        Assert.Equal("isolate", Assert.Single(await device.Agent.ProcessCommandsAsync(default)).Kind);
        await device.Agent.SampleTelemetryAsync(default);
        device.Snapshots.Connections.Add(new Fleetward.Agent.Telemetry.SocketEntry(Fleetward.Agent.Telemetry.TransportProtocol.Tcp,
            new IPEndPoint(IPAddress.Parse("10.0.0.5"), 40000), new IPEndPoint(IPAddress.Parse("203.0.113.7"), 23), Fleetward.Agent.Telemetry.SocketEntry.TcpEstablished, 7));

        await AgentFleetServer.EnsureAsync(await server.Operator.PostAsJsonAsync("devices/rover-fx/playbooks/forensic-pull", new { }));
        var pull = Assert.Single(await device.Agent.ProcessCommandsAsync(default));
        Assert.Equal(("upload-forensic-logs", CommandOutcomeKind.Executed), (pull.Kind, pull.Outcome.Kind));

        var listed = Assert.Single((await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-fx/forensics")).EnumerateArray());
        Assert.Equal(pull.CommandId, listed.GetProperty("commandId").GetString());
        var bytes = await server.Operator.GetByteArrayAsync($"devices/rover-fx/forensics/{listed.GetProperty("id").GetString()}");
        Assert.Equal(listed.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(bytes.Length, listed.GetProperty("sizeBytes").GetInt64());

        using var bundle = JsonDocument.Parse(bytes);
        var root = bundle.RootElement;
        Assert.Equal(("rover-fx", pull.CommandId), (root.GetProperty("deviceId").GetString(), root.GetProperty("commandId").GetString()));
        Assert.True(root.GetProperty("status").GetProperty("isolated").GetBoolean());
        Assert.Contains(root.GetProperty("log").EnumerateArray(), e => e.GetProperty("event").GetString() == "commands.outcome"
            && e.GetProperty("message").GetString()!.StartsWith("isolate ", StringComparison.Ordinal));
        Assert.NotEmpty(root.GetProperty("pendingTelemetry").EnumerateArray());
        Assert.Equal(80, root.GetProperty("snapshot").GetProperty("processCount").GetInt32());
        Assert.Equal("203.0.113.7:23", root.GetProperty("snapshot").GetProperty("establishedConnections")[0].GetProperty("remote").GetString());

        var commands = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-fx/commands");
        Assert.Equal("completed", commands.EnumerateArray().Single(c => c.GetProperty("id").GetString() == pull.CommandId).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_command_signed_by_another_key_is_refused_and_the_refusal_is_recorded()
    {
        await using (var first = await DeviceAsync("rover-9"))
        {
            Assert.True(await first.Agent.EnsureEnrolledAsync(default));
        }
        // The agent restarts with another pinned key: the server's signature no longer verifies, as for a forged command.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(Path.Combine(server.AgentRoot, "rover-9", "agent", "command-key.pem"), other.ExportSubjectPublicKeyInfoPem());
        await using var restarted = VirtualDevice.Create(server, "rover-9", EnrollmentCredential.WithToken("already-used"));
        var quarantine = await server.Operator.PostAsJsonAsync("devices/rover-9/playbooks/quarantine", new { reason = "test" });
        await AgentFleetServer.EnsureAsync(quarantine);

        var result = Assert.Single(await restarted.Agent.ProcessCommandsAsync(default));

        Assert.Equal(CommandOutcomeKind.Refused, result.Outcome.Kind);
        Assert.False(restarted.Agent.Status.Isolated);
        var commands = await server.Operator.GetFromJsonAsync<JsonElement>("devices/rover-9/commands");
        var recorded = commands.EnumerateArray().Single();
        Assert.Equal("refused", recorded.GetProperty("status").GetString());
        Assert.Contains("BadSignature", recorded.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Zeroize_destroys_the_keys_and_the_device_comes_back_only_through_its_factory_identity()
    {
        var factory = await server.CreateFactoryGroupAsync("factory-f1", "m-f1");
        await using var device = VirtualDevice.Create(server, "rover-f1", EnrollmentCredential.WithFactoryCertificate(factory("rover-f1")), model: "m-f1");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);
        var keyFile = Path.Combine(device.State, "agent", "identity", "device.key");
        var firstKey = File.ReadAllText(keyFile);
        var zeroize = await server.Operator.PostAsJsonAsync("devices/rover-f1/playbooks/zeroize", new { reason = "stolen" });
        await AgentFleetServer.EnsureAsync(zeroize);

        await RunUntilAsync(device, async () => (await CommandStatusAsync("rover-f1", "zeroize")) == "completed");

        Assert.False(File.Exists(keyFile));
        Assert.Null(device.Agent.Status.CertificateNotAfter);
        Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);
        Assert.NotEqual(firstKey, File.ReadAllText(keyFile));
        Assert.Equal("none", (await device.Agent.CheckInAsync(default)).Instruction.Kind);
    }

    [Fact]
    public async Task A_revoked_device_enrolled_with_a_one_time_token_cannot_come_back()
    {
        await using var device = await DeviceAsync("rover-10");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default));
        var rotate = await server.Operator.PostAsJsonAsync("devices/rover-10/playbooks/rotate-credentials", new { reason = "leaked" });
        await AgentFleetServer.EnsureAsync(rotate);

        for (var round = 0; round < 4; round++)
        {
            await device.Agent.RunDueAsync(default);
            server.Clock.Now += TimeSpan.FromMinutes(2);
        }

        Assert.Null(device.Agent.Status.CertificateNotAfter);
        Assert.Contains("enrollment", device.Agent.Status.LastError);
    }

    [Fact]
    public async Task Rotate_credentials_re_enrolls_with_a_new_key_through_the_factory_identity()
    {
        var factory = await server.CreateFactoryGroupAsync("factory-f2", "m-f2");
        await using var device = VirtualDevice.Create(server, "rover-f2", EnrollmentCredential.WithFactoryCertificate(factory("rover-f2")), model: "m-f2");
        Assert.True(await device.Agent.EnsureEnrolledAsync(default), device.Agent.Status.LastError);
        var keyFile = Path.Combine(device.State, "agent", "identity", "device.key");
        var firstKey = File.ReadAllText(keyFile);
        var rotate = await server.Operator.PostAsJsonAsync("devices/rover-f2/playbooks/rotate-credentials", new { reason = "routine" });
        await AgentFleetServer.EnsureAsync(rotate);

        await RunUntilAsync(device, async () => (await CommandStatusAsync("rover-f2", "rotate-credentials")) == "completed");

        Assert.NotEqual(firstKey, File.ReadAllText(keyFile));
        Assert.Equal("none", (await device.Agent.CheckInAsync(default)).Instruction.Kind);
    }

    private async Task RunUntilAsync(VirtualDevice device, Func<Task<bool>> done)
    {
        for (var round = 0; round < 10 && !await done(); round++)
        {
            await device.Agent.RunDueAsync(default);
            server.Clock.Now += TimeSpan.FromMinutes(2);
        }
        Assert.True(await done(), device.Agent.Status.LastError);
    }

    private async Task<string?> CommandStatusAsync(string deviceId, string kind)
    {
        var commands = await server.Operator.GetFromJsonAsync<JsonElement>($"devices/{deviceId}/commands");
        return commands.EnumerateArray().Where(c => c.GetProperty("kind").GetString() == kind).Select(c => c.GetProperty("status").GetString()).FirstOrDefault();
    }

    /// <summary>An mTLS client with the device's own certificate, for requests the agent would never make.</summary>
    private HttpClient DeviceClient(VirtualDevice device)
    {
        var identity = Path.Combine(device.State, "agent", "identity");
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(identity, "device.crt")));
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(identity, "device.key")));
        return DeviceTlsClient.Create(server.DeviceUrl, server.FleetRoot, DeviceTlsClient.Join(certificate, key));
    }
}
