using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Telemetry;
using Fleetward.Server.Detection;
using Fleetward.Server.Devices;
using Fleetward.Trust.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Tests.Detection;

/// <summary>
/// The device routes over mutual TLS: telemetry ingest (receipt, field-naming problems, 429 with Retry-After) and the
/// command queue (signed envelopes for this device only, outcomes once). Devices enroll over EST and authenticate with
/// the certificates the real device CA issued them.
/// </summary>
public sealed class DeviceDetectionEndpointsTests : IAsyncLifetime
{
    private Identity.IdentityTestServer _identity = null!;
    private TestServer _server = null!;
    private X509Certificate2 _rover = null!;
    private X509Certificate2 _arm = null!;

    public async Task InitializeAsync()
    {
        _identity = await Identity.IdentityTestServer.StartAsync(services =>
            services.AddSingleton(new DetectionServerOptions { RateLimit = new TelemetryRateLimit(1, 2) }));
        _server = _identity.Server;
        await _identity.CreateGroupAsync("rovers");
        _rover = await EnrollAsync("rover-1");
        _arm = await EnrollAsync("arm-1");
    }

    public async Task DisposeAsync()
    {
        await _identity.DisposeAsync();
        _rover.Dispose();
        _arm.Dispose();
    }

    private async Task<X509Certificate2> EnrollAsync(string deviceId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return await _identity.EnrollAsync(deviceId, await _identity.TokenAsync("rovers", deviceId), key);
    }

    [Fact]
    public async Task Telemetry_is_accepted_refused_by_field_and_rate_limited_with_retry_after()
    {
        using var rover = DeviceClient(_rover);
        var ok = await rover.PostAsync("/device/v1/telemetry", Json(Batch("rover-1", 1)));
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        Assert.Equal(1, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());

        var spoofed = await ProblemAssert.IsProblemAsync(await rover.PostAsync("/device/v1/telemetry", Json(Batch("arm-1", 2))), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("reports[0].device_id", spoofed.GetProperty("field").GetString());

        var limited = await rover.PostAsync("/device/v1/telemetry", Json(Batch("rover-1", 3)));
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.Equal("60", limited.Headers.GetValues("Retry-After").Single());

        using var arm = DeviceClient(_arm);
        var tooBig = new ByteArrayContent(new byte[TelemetryLimits.MaxBatchBytes + 1]);
        tooBig.Headers.ContentType = new("application/json");
        var big = await ProblemAssert.IsProblemAsync(await arm.PostAsync("/device/v1/telemetry", tooBig), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$", big.GetProperty("field").GetString());

        var metrics = await _server.OperatorClient(Core.Access.OperatorRole.Admin).GetStringAsync("/metrics");
        Assert.Contains("fleetward_telemetry_rejected_total", metrics);
        Assert.Contains("fleetward_telemetry_rate_limited_total", metrics);
    }

    [Fact]
    public async Task Devices_fetch_only_their_own_signed_commands_and_report_each_outcome_once()
    {
        using (var operatorClient = _server.OperatorClient(Core.Access.OperatorRole.Operator))
        {
            Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/forensic-pull", null)).StatusCode);
        }
        using var rover = DeviceClient(_rover);
        using var arm = DeviceClient(_arm);
        Assert.Empty((await arm.GetFromJsonAsync<JsonElement>("/device/v1/commands")).GetProperty("commands").EnumerateArray());

        var key = await rover.GetFromJsonAsync<JsonElement>("/device/v1/command-key");
        using var pinned = ECDsa.Create();
        pinned.ImportFromPem(key.GetProperty("publicKeyPem").GetString());
        Assert.Equal(CommandKeyId.Of(pinned), key.GetProperty("keyId").GetString());

        var command = Assert.Single((await rover.GetFromJsonAsync<JsonElement>("/device/v1/commands")).GetProperty("commands").EnumerateArray());
        Assert.Equal("upload-forensic-logs", command.GetProperty("kind").GetString());
        var envelope = SignedCommand.FromJson(command.GetProperty("envelope").GetRawText());
        var verification = new CommandVerifier([pinned]).Verify(envelope, "rover-1", _server.Clock.GetUtcNow(), new MemoryNonces());
        Assert.True(verification.Accepted, verification.Detail);
        Assert.Equal(command.GetProperty("id").GetString(), verification.Command!.Command.Nonce);

        var id = command.GetProperty("id").GetString();
        await ProblemAssert.IsProblemAsync(await arm.PostAsJsonAsync($"/device/v1/commands/{id}/outcome", new { status = "completed", detail = "not mine" }), HttpStatusCode.NotFound, "not-found");
        var badStatus = await ProblemAssert.IsProblemAsync(await rover.PostAsJsonAsync($"/device/v1/commands/{id}/outcome", new { status = "pending", detail = "" }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.status", badStatus.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await rover.PostAsJsonAsync($"/device/v1/commands/{id}/outcome", new { status = "completed", detail = "uploaded 3 files" })).StatusCode);
        await ProblemAssert.IsProblemAsync(await rover.PostAsJsonAsync($"/device/v1/commands/{id}/outcome", new { status = "failed", detail = "again" }), HttpStatusCode.Conflict, "conflict");
        Assert.Empty((await rover.GetFromJsonAsync<JsonElement>("/device/v1/commands")).GetProperty("commands").EnumerateArray());

        var history = await _server.OperatorClient(Core.Access.OperatorRole.Auditor).GetFromJsonAsync<JsonElement>("/api/v1/devices/rover-1/commands");
        var stored = Assert.Single(history.EnumerateArray());
        Assert.Equal("completed", stored.GetProperty("status").GetString());
        Assert.Equal("uploaded 3 files", stored.GetProperty("outcome").GetString());
        Assert.Contains(await _server.AuditEntriesAsync(), e => e.Type == "device.command.outcome" && e.Actor == "device:rover-1");
    }

    [Fact]
    public async Task Rotating_credentials_revokes_the_certificate_so_the_device_is_refused_at_once()
    {
        using (var rover = DeviceClient(_rover))
        {
            Assert.True((await rover.GetAsync("/device/v1/commands")).IsSuccessStatusCode);
        }

        using (var operatorClient = _server.OperatorClient(Core.Access.OperatorRole.Operator))
        {
            var response = await operatorClient.PostAsync("/api/v1/devices/rover-1/playbooks/rotate-credentials", null);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Contains(await _server.AuditEntriesAsync(), e => e.Type == "device.certificate.revoked" && e.Subject == "rover-1");
        using var again = DeviceClient(_rover);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => again.GetAsync("/device/v1/commands"));
        using var arm = DeviceClient(_arm);
        Assert.True((await arm.GetAsync("/device/v1/commands")).IsSuccessStatusCode);
    }

    [Fact]
    public void A_quarantined_device_keeps_telemetry_and_commands_and_nothing_else_of_detection()
    {
        var allowed = _server.Server.Endpoints
            .Select(e => (Route: (e as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText, Access: e.Metadata.GetMetadata<DeviceAccessMetadata>()))
            .Where(e => e.Access is not null && e.Route is not null && e.Route.StartsWith("/device/v1/", StringComparison.Ordinal))
            .ToDictionary(e => e.Route!, e => e.Access!.AllowedStates.Order().ToArray());
        foreach (var route in new[] { "/device/v1/telemetry", "/device/v1/commands", "/device/v1/commands/{id}/outcome", "/device/v1/command-key" })
        {
            Assert.Equal([DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined], allowed[route]);
        }
    }

    private HttpClient DeviceClient(X509Certificate2 certificate) => _identity.DeviceClient(certificate);

    private TelemetryBatch Batch(string deviceId, long sequence) => new()
    {
        Reports =
        [
            new TelemetryReport
            {
                DeviceId = deviceId,
                Sequence = sequence,
                SampledAt = _server.Clock.GetUtcNow().AddSeconds(-5),
                IntervalSeconds = 60,
                CpuPercent = 10,
                MemoryUsedBytes = 1,
                MemoryTotalBytes = 2,
                Network = new NetworkCounters { BytesIn = 1, BytesOut = 1, PacketsIn = 1, PacketsOut = 1 },
                ProcessCount = 10,
                UptimeSeconds = 100,
                BootCount = 1,
            },
        ],
    };

    private static ByteArrayContent Json(TelemetryBatch batch)
    {
        var content = new ByteArrayContent(TelemetryCodec.Encode(batch));
        content.Headers.ContentType = new("application/json");
        return content;
    }

    private sealed class MemoryNonces : ICommandNonceStore
    {
        private readonly HashSet<string> _seen = [];

        public bool TryRecord(string nonce, DateTimeOffset keepUntil, DateTimeOffset now) => _seen.Add(nonce);
    }
}
