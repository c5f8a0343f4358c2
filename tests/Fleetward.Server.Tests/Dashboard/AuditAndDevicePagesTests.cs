using System.Net;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Dashboard.Sections;
using Fleetward.Server.Tests.Audit;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>The audit page re-verifies the stored log against its latest signed checkpoint on every visit.</summary>
public sealed class AuditPageTests : IAsyncLifetime
{
    private AuditServer server = null!;

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync("sqlite");
        await server.CreateTokensAsync(60);
        await server.CheckpointAsync();
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var client = server.Client(server.AuditorToken);
        var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_intact_log_shows_its_checkpoint_as_verified_and_pages_the_entries()
    {
        var (status, html) = await GetAsync("/dashboard/audit");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("badge badge-good\">verified<", html);
        Assert.Contains("62 entries verified against the checkpoint of size 62", html);
        Assert.Contains(AuditServer.Origin + " (key id " + server.Signer.VerifierKey.KeyId.ToString("x8"), html);
        await using (var read = await server.Store.ReadAsync())
        {
            var checkpoint = (await read.AuditCheckpoints.LatestAsync())!;
            Assert.Contains(Convert.ToHexStringLower(checkpoint.RootHash), html);
        }
        Assert.Contains(">61<", html);
        Assert.Contains(">token.created<", html);
        Assert.Contains("href=\"/dashboard/audit?before=12\"", html);
        Assert.DoesNotContain(">11<", html.Split("entries-heading")[1]);

        var (_, older) = await GetAsync("/dashboard/audit?before=12");
        Assert.Contains(">11<", older);
        Assert.Contains(">0<", older);
        Assert.DoesNotContain("rel=\"next\"", older);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/dashboard/audit?before=-1")).Status);
    }

    [Fact]
    public async Task An_entry_changed_in_the_database_fails_verification_and_is_named()
    {
        await server.ExecuteRawAsync("UPDATE audit_entries SET actor = 'mallory' WHERE idx = 17");
        var (status, html) = await GetAsync("/dashboard/audit");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("badge badge-bad\">failed<", html);
        Assert.Contains("entry 17 differs from what the log committed to", html);
        Assert.Contains("EntryChanged", html);
    }
}

/// <summary>The audit page without a log key, and the device page's telemetry, rollout and incident sections.</summary>
public sealed class DeviceSectionsAndAuditWithoutKeyTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Without_a_log_key_the_audit_page_says_why_it_cannot_verify()
    {
        var (browser, html, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/audit");
        using var _ = browser;
        Assert.Contains("not verified", html);
        Assert.Contains("no signed checkpoint yet", html);
        Assert.Contains(">dashboard.session.started<", html);
    }

    [Fact]
    public async Task The_device_page_shows_sparklines_rollout_history_and_incidents()
    {
        var fleet = await OperationsSeed.RolloutAsync(server);
        var mirai = await OperationsSeed.MiraiIncidentAsync(server);
        var (browser, html, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/devices/rover-7");
        using var _ = browser;
        foreach (var id in new[] { "spark-cpu", "spark-memory", "spark-traffic", "spark-connections" })
        {
            Assert.Contains($"id=\"{id}\"", html);
        }
        Assert.Contains(">97 %<", html);
        Assert.Contains(">41<", html);
        Assert.Contains("href=\"/dashboard/incidents/" + mirai.Id + "\"", html);
        Assert.Contains("This device has not been part of a rollout.", html);

        var member = fleet.Devices.Values.First(d => d.Bad && d.InstallOrders > 0).Device.Id;
        var memberPage = await (await browser.GetPageAsync("/dashboard/devices/" + member)).Content.ReadAsStringAsync();
        Assert.Contains("href=\"/dashboard/rollouts/rollout-1\"", memberPage);
        Assert.Contains("badge badge-neutral\">rolled-back<", memberPage);
        Assert.Contains("No telemetry received from this device yet.", memberPage);
        Assert.Contains("No incident on this device.", memberPage);
    }

    [Fact]
    public async Task The_navigation_lists_the_operations_pages_in_order_with_receipts_last()
    {
        var (browser, html, _) = await RolloutPagesTests.OpenAsync(server, OperatorRole.Auditor, "/dashboard/");
        using var _ = browser;
        var nav = html[html.IndexOf("aria-label=\"Main\"", StringComparison.Ordinal)..html.IndexOf("</nav>", StringComparison.Ordinal)];
        var titles = System.Text.RegularExpressions.Regex.Matches(nav, ">([A-Za-z ]+)</a>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["Overview", "Devices", "Rollouts", "Incidents", "Audit", "Receipts"], titles);
    }

    [Fact]
    public void Byte_counts_read_naturally()
    {
        Assert.Equal("512 B", DeviceTelemetrySection.Bytes(512));
        Assert.Equal("150 kB", DeviceTelemetrySection.Bytes(150_000));
        Assert.Equal("301.5 MB", DeviceTelemetrySection.Bytes(301_500_000));
        Assert.Equal("2.5 GB", DeviceTelemetrySection.Bytes(2_500_000_000));
        Assert.Equal("3 h 20 min", DashboardLayout.Duration(TimeSpan.FromMinutes(200)));
        Assert.Equal("2 d 4 h", DashboardLayout.Duration(TimeSpan.FromHours(52)));
        Assert.Equal("45 s", DashboardLayout.Duration(TimeSpan.FromSeconds(45)));
    }
}
