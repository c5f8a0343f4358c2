using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Server.Devices;

namespace Fleetward.Server.Tests.Detection;

/// <summary>
/// The forensic upload over mutual TLS: accepted once for the device's own outstanding upload-forensics command,
/// hashed, audited and noted on the incident; refused for another device's command, a command of another kind, no
/// command, or a body over the limit. Operators list and download the bundle.
/// </summary>
public sealed class ForensicEndpointsTests : IAsyncLifetime
{
    private Identity.IdentityTestServer _identity = null!;
    private TestServer _server = null!;
    private X509Certificate2 _rover = null!;
    private X509Certificate2 _arm = null!;

    public async Task InitializeAsync()
    {
        _identity = await Identity.IdentityTestServer.StartAsync();
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

    private async Task<string> RunPlaybookAsync(string device, string action, object? body = null)
    {
        using var operatorClient = _server.OperatorClient(Core.Access.OperatorRole.Operator);
        var response = await operatorClient.PostAsJsonAsync($"/api/v1/devices/{device}/playbooks/{action}", body ?? new { });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commands")[0].GetProperty("id").GetString()!;
    }

    private static ByteArrayContent Bundle(byte[] bytes) =>
        new(bytes) { Headers = { ContentType = new("application/octet-stream") } };

    [Fact]
    public async Task A_bundle_for_the_outstanding_command_is_stored_hashed_audited_noted_on_the_incident_and_downloadable()
    {
        var now = _server.Clock.GetUtcNow();
        await using (var work = await _server.Store.BeginAsync())
        {
            await work.Incidents.InsertAsync(Incident.Open("inc-1",
                new DetectionFinding("rover-1", DetectionCauses.MiraiLike, "telnet-scan", DetectionSeverity.High, "telnet scan", now, now, 7, [])));
            await work.CommitAsync();
        }
        var commandId = await RunPlaybookAsync("rover-1", "forensic-pull", new { incidentId = "inc-1" });
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        using var rover = _identity.DeviceClient(_rover);

        var response = await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle(bytes));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<JsonElement>();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(sha256, receipt.GetProperty("sha256").GetString());
        Assert.Equal(bytes.Length, receipt.GetProperty("sizeBytes").GetInt64());
        await ProblemAssert.IsProblemAsync(await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle(bytes)), HttpStatusCode.Conflict, "conflict");

        var listed = Assert.Single((await _server.OperatorClient(Core.Access.OperatorRole.Auditor)
            .GetFromJsonAsync<JsonElement>("/api/v1/devices/rover-1/forensics")).EnumerateArray());
        Assert.Equal(("inc-1", commandId, sha256), (listed.GetProperty("incidentId").GetString(), listed.GetProperty("commandId").GetString(), listed.GetProperty("sha256").GetString()));
        var bundleId = listed.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Forbidden,
            (await _server.OperatorClient(Core.Access.OperatorRole.Auditor).GetAsync($"/api/v1/devices/rover-1/forensics/{bundleId}")).StatusCode);
        var download = await _server.OperatorClient(Core.Access.OperatorRole.Operator).GetAsync($"/api/v1/devices/rover-1/forensics/{bundleId}");
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal($"sha-256=:{Convert.ToBase64String(SHA256.HashData(bytes))}:", download.Headers.GetValues("Repr-Digest").Single());
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient(Core.Access.OperatorRole.Operator).GetAsync($"/api/v1/devices/arm-1/forensics/{bundleId}"),
            HttpStatusCode.NotFound, "not-found");

        var audit = await _server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "device.forensics.uploaded" && e.Actor == "device:rover-1" && e.Payload.Contains(sha256, StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Type == "device.forensics.downloaded" && e.Subject == "rover-1");
        await using var read = await _server.Store.ReadAsync();
        var evidence = (await read.Incidents.GetAsync("inc-1"))!.Timeline[^1];
        Assert.Equal(IncidentEventKind.EvidenceCollected, evidence.Kind);
        Assert.Contains(sha256, evidence.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uploads_are_refused_for_another_device_s_command_a_command_of_another_kind_or_no_command_naming_the_field()
    {
        var commandId = await RunPlaybookAsync("rover-1", "forensic-pull");
        using var arm = _identity.DeviceClient(_arm);
        var foreign = await ProblemAssert.IsProblemAsync(await arm.PostAsync($"/device/v1/forensics/{commandId}", Bundle([1, 2, 3])), HttpStatusCode.NotFound, "not-found");
        Assert.Equal("commandId", foreign.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await arm.PostAsync("/device/v1/forensics/no-such-command", Bundle([1, 2, 3])), HttpStatusCode.NotFound, "not-found");

        var reattest = await RunPlaybookAsync("arm-1", "reattest");
        var wrongKind = await ProblemAssert.IsProblemAsync(await arm.PostAsync($"/device/v1/forensics/{reattest}", Bundle([1, 2, 3])), HttpStatusCode.Conflict, "conflict");
        Assert.Equal("commandId", wrongKind.GetProperty("field").GetString());

        using var rover = _identity.DeviceClient(_rover);
        Assert.Equal(HttpStatusCode.NoContent, (await rover.PostAsJsonAsync($"/device/v1/commands/{commandId}/outcome", new { status = "failed", detail = "gave up" })).StatusCode);
        await ProblemAssert.IsProblemAsync(await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle([1, 2, 3])), HttpStatusCode.Conflict, "conflict");
        await using var read = await _server.Store.ReadAsync();
        Assert.Empty(await read.ForensicBundles.ListForDeviceAsync("rover-1"));
    }

    [Fact]
    public async Task A_bundle_over_the_limit_is_refused_with_413_and_an_empty_one_with_400()
    {
        var commandId = await RunPlaybookAsync("rover-1", "forensic-pull");
        using var rover = _identity.DeviceClient(_rover);
        var tooLarge = await ProblemAssert.IsProblemAsync(
            await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle(new byte[Endpoints.ForensicEndpoints.MaxBundleBytes + 1])), HttpStatusCode.RequestEntityTooLarge, "too-large");
        Assert.Equal("$", tooLarge.GetProperty("field").GetString());
        await ProblemAssert.IsProblemAsync(await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle([])), HttpStatusCode.BadRequest, "validation");
        Assert.Equal(HttpStatusCode.Created, (await rover.PostAsync($"/device/v1/forensics/{commandId}", Bundle([42]))).StatusCode);
    }

    [Fact]
    public void A_quarantined_device_can_still_upload_forensics()
    {
        var access = _server.Server.Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Single(e => e.RoutePattern.RawText == "/device/v1/forensics/{commandId}").Metadata.GetMetadata<DeviceAccessMetadata>();
        Assert.Equal([DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined], access!.AllowedStates.Order());
    }
}
