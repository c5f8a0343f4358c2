using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Core.Receipts;
using Fleetward.Server.Receipts;
using Fleetward.Server.Tests.Audit;
using Fleetward.Server.Tests.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Tests.Receipts;

/// <summary>GET /api/v1/receipts and /signed over real HTTPS, against a server with a real audit-log key, on both engines.</summary>
public abstract class ReceiptEndpointsTests(string engine) : IAsyncLifetime
{
    private AuditServer server = null!;

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync(engine);
        await server.CreateTokensAsync(2);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static async Task<SecurityReceipts> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        return SecurityReceiptsJson.Parse(body);
    }

    [Fact]
    public async Task Receipts_name_the_server_and_window_and_say_why_figures_of_an_empty_fleet_have_no_value()
    {
        using var auditor = server.Client(server.AuditorToken);
        var receipts = await ReadAsync(await auditor.GetAsync("/api/v1/receipts?days=7"));

        Assert.Equal(AuditServer.Origin, receipts.Server);
        Assert.Equal(TimeSpan.FromDays(7), receipts.WindowEnd - receipts.WindowStart);
        Assert.Equal(14, receipts.Figures.Count);
        var unique = receipts.Figure(ReceiptFigureIds.UniqueCredentials);
        Assert.Null(unique.Value);
        Assert.Equal("no device is in service", unique.Reason);
        Assert.True(receipts.Figure(ReceiptFigureIds.AuditLogSize).Value >= 4);
    }

    [Fact]
    public async Task A_signed_receipt_verifies_with_the_log_verifier_key_and_carries_the_verified_checkpoint()
    {
        await server.CheckpointAsync();
        using var auditor = server.Client(server.AuditorToken);
        var response = await auditor.GetAsync("/api/v1/receipts/signed");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);

        var verification = SignedReceipts.Verify(await response.Content.ReadAsStringAsync(), server.Signer.VerifierKey);

        Assert.True(verification.Verified, verification.Failure);
        var audit = verification.Receipts!.Audit;
        Assert.True(audit.CheckpointVerified, audit.CheckpointDetail);
        Assert.True(audit.CheckpointTreeSize >= 4);
        Assert.Equal(audit.CheckpointTreeSize, (long?)verification.Receipts.Figure(ReceiptFigureIds.LastVerifiedCheckpoint).Value);
    }

    [Fact]
    public async Task A_tampered_audit_tree_shows_as_an_unverified_checkpoint()
    {
        await server.CheckpointAsync();
        await server.ExecuteRawAsync(engine == "postgres"
            ? "UPDATE audit_nodes SET hash = decode(repeat('00', 32), 'hex')"
            : "UPDATE audit_nodes SET hash = zeroblob(32)");
        using var auditor = server.Client(server.AuditorToken);

        var receipts = await ReadAsync(await auditor.GetAsync("/api/v1/receipts"));

        Assert.False(receipts.Audit.CheckpointVerified);
        var figure = receipts.Figure(ReceiptFigureIds.LastVerifiedCheckpoint);
        Assert.Null(figure.Value);
        Assert.Contains("differs", figure.Reason);
    }

    [Theory]
    [InlineData("?days=0", "days")]
    [InlineData("?days=400", "days")]
    [InlineData("?days=x", "days")]
    [InlineData("?window=3", "window")]
    public async Task A_bad_window_is_refused_naming_the_parameter(string query, string field)
    {
        using var auditor = server.Client(server.AuditorToken);
        foreach (var path in new[] { "/api/v1/receipts", "/api/v1/receipts/signed" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await auditor.GetAsync(path + query), HttpStatusCode.BadRequest, "validation", path);
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task The_dashboard_page_shows_every_figure_with_its_fractions()
    {
        using var auditor = server.Client(server.AuditorToken);
        var response = await auditor.GetAsync("/dashboard/receipts");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        foreach (var id in new[] { ReceiptFigureIds.UniqueCredentials, ReceiptFigureIds.MeanTimeToRecover, ReceiptFigureIds.AuditLogSize })
        {
            Assert.Contains($"id=\"figure-{id}\"", html);
        }
        Assert.Contains("no device is in service", html);
        Assert.Contains("Audit anchor", html);
    }
}

public sealed class SqliteReceiptEndpointsTests() : ReceiptEndpointsTests("sqlite");

public sealed class PostgresReceiptEndpointsTests() : ReceiptEndpointsTests("postgres");

/// <summary>A server without an audit-log key shows receipts but cannot sign them.</summary>
public sealed class UnsignedReceiptTests
{
    [Fact]
    public async Task Signing_without_a_log_key_is_unavailable_but_the_figures_are_served()
    {
        await using var server = await TestServer.StartAsync();
        using var auditor = server.OperatorClient(OperatorRole.Auditor);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/receipts")).StatusCode);
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/receipts/signed"), HttpStatusCode.ServiceUnavailable, "unavailable");
    }
}

/// <summary>The authenticated-connection and credential figures from real mutual-TLS traffic on the device listener.</summary>
public sealed class DeviceConnectionReceiptTests
{
    [Fact]
    public async Task Device_requests_are_counted_by_outcome_persisted_and_reported()
    {
        await using var identity = await IdentityTestServer.StartAsync();
        await identity.CreateGroupAsync("line-a");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await identity.EnrollAsync("robot-1", await identity.TokenAsync("line-a", "robot-1"), key);

        using (var device = identity.DeviceClient(certificate))
        {
            Assert.Equal(HttpStatusCode.OK, (await device.GetAsync("/probe/active")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await device.GetAsync("/probe/active")).StatusCode);
        }
        using (var anonymous = identity.DeviceClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/probe/active")).StatusCode);
        }
        using var strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var stranger = new CertificateRequest("CN=stranger", strangerKey, HashAlgorithmName.SHA256).CreateSelfSigned(TestServer.Start.AddDays(-1), TestServer.Start.AddDays(1)))
        using (var refused = identity.DeviceClient(X509CertificateLoader.LoadPkcs12(stranger.Export(X509ContentType.Pkcs12), null)))
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => refused.GetAsync("/probe/active"));
        }

        // No explicit flush: the receipt writes this server's pending counts before it counts.
        using var auditor = identity.Server.OperatorClient(OperatorRole.Auditor);
        var response = await auditor.GetAsync("/api/v1/receipts");
        var receipts = SecurityReceiptsJson.Parse(await response.Content.ReadAsByteArrayAsync());

        var connections = receipts.Figure(ReceiptFigureIds.AuthenticatedConnections);
        // Two authenticated requests; refused: the 401 and the refused handshake (which the client may retry on a new connection).
        Assert.Equal(2, connections.Numerator);
        var refusedCount = connections.Denominator!.Value - 2;
        Assert.True(refusedCount >= 2, connections.Detail);
        Assert.Equal($"{refusedCount} refused, 1 anonymous (EST bootstrap, TUF metadata)", connections.Detail);
        Assert.Equal(SecurityReceiptsCalculator.PercentFloor(2, 2 + refusedCount), connections.Value);
        var unique = receipts.Figure(ReceiptFigureIds.UniqueCredentials);
        Assert.Equal((1L, 1L), (unique.Numerator!.Value, unique.Denominator!.Value));
        Assert.Equal(100m, receipts.Figure(ReceiptFigureIds.CertificatesWithinRotationSlo).Value);
        Assert.Equal(0, await identity.Server.Server.Services.GetRequiredService<DeviceConnectionTallyWriter>().FlushAsync(default));
    }

    [Fact]
    public void A_401_is_refused_whether_or_not_a_certificate_came_with_it()
    {
        Assert.Equal(DeviceConnectionOutcome.Refused, DeviceConnectionTallyMiddleware.Classify(401, true));
        Assert.Equal(DeviceConnectionOutcome.Refused, DeviceConnectionTallyMiddleware.Classify(401, false));
        Assert.Equal(DeviceConnectionOutcome.Authenticated, DeviceConnectionTallyMiddleware.Classify(403, true));
        Assert.Equal(DeviceConnectionOutcome.Anonymous, DeviceConnectionTallyMiddleware.Classify(200, false));
    }

    [Fact]
    public void Counts_are_kept_per_hour_drained_once_and_restored_after_a_failed_write()
    {
        var clock = new ManualClock(TestServer.Start.AddMinutes(59));
        var tally = new DeviceConnectionTally(clock);
        tally.Record(DeviceConnectionOutcome.Authenticated);
        clock.Advance(TimeSpan.FromMinutes(2));
        tally.Record(DeviceConnectionOutcome.Refused);
        tally.Record(DeviceConnectionOutcome.Anonymous);

        var drained = tally.Drain();
        Assert.Equal(
            [new Core.Ports.ConnectionTally(TestServer.Start, 1, 0, 0), new Core.Ports.ConnectionTally(TestServer.Start.AddHours(1), 0, 1, 1)],
            drained);
        Assert.Empty(tally.Drain());

        tally.Restore(drained);
        tally.Record(DeviceConnectionOutcome.Authenticated);
        Assert.Equal(new Core.Ports.ConnectionTally(TestServer.Start.AddHours(1), 1, 1, 1), tally.Drain()[1]);
    }
}
