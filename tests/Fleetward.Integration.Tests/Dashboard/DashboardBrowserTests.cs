using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server;
using Fleetward.Server.Access;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Fleetward.Server.Audit;
using Fleetward.Trust.Notes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Fleetward.Integration.Tests.Dashboard;

/// <summary>
/// Drives Debian's Chromium (never a downloaded browser) through the dashboard of a real in-process
/// server: sign in with a pasted token, open every page, filter, click through to a device, pause
/// and resume a rollout, open an incident's timeline and run a playbook, check the audit log's
/// verification, sign out; no console errors (so no CSP violations). Screenshots are kept under FLEETWARD_TEST_ARTIFACTS
/// (or a temp directory) for people to look at.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    /// <summary>Debian package "chromium"; override with FLEETWARD_CHROMIUM.</summary>
    private static string ChromiumPath => Environment.GetEnvironmentVariable("FLEETWARD_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] Models = ["rover-x2", "rover-x2", "rover-x2", "drone-m4", "drone-m4", "arm-s1", "gateway-g1"];

    [Fact]
    public async Task An_operator_signs_in_opens_every_page_and_reaches_a_device()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium not found at {ChromiumPath}; install the Debian package 'chromium' (scripts/test does).");
        var artifacts = ArtifactDirectory();
        output.WriteLine($"Dashboard screenshots: {artifacts}");
        Console.WriteLine($"Dashboard screenshots: {artifacts}");

        var directory = Directory.CreateTempSubdirectory("fleetward-dashboard-");
        try
        {
            var certificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []);
            await using var store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"));
            await SeedFleetAsync(store, DateTimeOffset.UtcNow);
            await using var server = FleetwardServer.Build(
                new ServerOptions
                {
                    OperatorUrl = new Uri("https://127.0.0.1:0"),
                    DeviceUrl = new Uri("https://127.0.0.1:0"),
                    OperatorCertificate = certificate,
                    AuditLogSigner = Ed25519NoteSigner.Generate("fleetward.test/audit"),
                    AuditCheckpointInterval = TimeSpan.FromHours(1),
                },
                store,
                new FleetwardServerSetup { ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None) });
            await server.StartAsync();
            await DashboardOperationsSeed.RolloutsAsync(server, store);
            await DashboardOperationsSeed.MiraiIncidentsAsync(server, store);
            var issuer = new ApiTokenIssuer(store, TimeProvider.System);
            var token = (await issuer.IssueAsync("ops-console", OperatorRole.Admin, null, "test", default)).PlainText;
            await issuer.IssueAsync("ci-pipeline", OperatorRole.ReleaseManager, DateTimeOffset.UtcNow.AddDays(30), "test", default);
            await issuer.IssueAsync("grafana-scraper", OperatorRole.Auditor, null, "test", default);
            var baseUrl = server.OperatorAddress.ToString().TrimEnd('/');
            await server.Services.GetRequiredService<AuditCheckpointer>().CheckpointAsync(default);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                Timeout = 60_000,
            });
            // The operator certificate is a throw-away self-signed one made above.
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                IgnoreHTTPSErrors = true,
                ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            var consoleErrors = new List<string>();
            page.Console += (_, message) =>
            {
                // HTTP error statuses (the refused sign-in's 401, the browser's own /favicon.ico 404) are expected;
                // anything else, such as a Content-Security-Policy violation, is a fault.
                if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                {
                    consoleErrors.Add(message.Text);
                }
            };

            await page.GotoAsync(baseUrl + "/dashboard/devices");
            Assert.StartsWith(baseUrl + "/dashboard/login", page.Url);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "01-login.png"), FullPage = true });

            await page.FillAsync("#token", "fw_0123456789abcdef_wrong");
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
            await page.FillAsync("#token", token);
            await page.ClickAsync("button[type=submit]");
            Assert.Equal(baseUrl + "/dashboard/devices", page.Url);

            await page.ClickAsync("nav[aria-label=Main] >> text=Overview");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Fleet overview");
            await Assertions.Expect(page.Locator("svg#chart-states")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("svg#chart-models")).ToBeVisibleAsync();
            Assert.Equal("60", (await page.Locator(".stat-value").First.TextContentAsync())?.Trim());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "02-overview.png"), FullPage = true });

            await page.ClickAsync("nav[aria-label=Main] >> text=Devices");
            await Assertions.Expect(page.Locator("table.table tbody tr")).ToHaveCountAsync(50);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "03-devices.png"), FullPage = true });
            await page.ClickAsync("a[rel=next]");
            await Assertions.Expect(page.Locator("table.table tbody tr")).ToHaveCountAsync(10);

            await page.SelectOptionAsync("select[name=state]", "quarantined");
            await page.FillAsync("input[name=model]", "rover-x2");
            await page.ClickAsync("form.filters button[type=submit]");
            var rows = page.Locator("table.table tbody tr");
            Assert.True(await rows.CountAsync() > 0, "the filtered list shows quarantined rovers");
            foreach (var state in await page.Locator("table.table tbody .badge").AllTextContentsAsync())
            {
                Assert.Equal("quarantined", state);
            }
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "04-devices-filtered.png"), FullPage = true });

            var firstId = (await page.Locator("table.table tbody tr a.mono").First.TextContentAsync())!;
            await page.Locator("table.table tbody tr a.mono").First.ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(firstId);
            await Assertions.Expect(page.Locator("#identity-heading")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "05-device-detail.png"), FullPage = true });

            await page.ClickAsync("nav[aria-label=Main] >> text=API tokens");
            var ciRow = page.Locator("table.table tbody tr", new PageLocatorOptions { HasText = "ci-pipeline" });
            await Assertions.Expect(ciRow.Locator(".badge")).ToHaveTextAsync("active");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "06-tokens.png"), FullPage = true });
            await ciRow.Locator("summary").ClickAsync();
            await ciRow.Locator("form button").ClickAsync();
            await Assertions.Expect(ciRow.Locator(".badge")).ToHaveTextAsync("revoked");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "07-token-revoked.png"), FullPage = true });

            await OperationsPagesAsync(page, artifacts);

            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync(baseUrl + "/dashboard/devices?tag=site%3Anorth");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "17-devices-narrow.png") });
            await page.GotoAsync(baseUrl + "/dashboard/rollouts/" + DashboardOperationsSeed.RolloutId);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "18-rollout-narrow.png") });
            await page.SetViewportSizeAsync(1280, 860);

            await page.ClickAsync("form.signout button");
            Assert.StartsWith(baseUrl + "/dashboard/login", page.Url);
            await page.GotoAsync(baseUrl + "/dashboard/");
            Assert.StartsWith(baseUrl + "/dashboard/login", page.Url);

            Assert.True(consoleErrors.Count == 0, "console errors (CSP violations show here): " + string.Join(" | ", consoleErrors));
            foreach (var shot in Directory.GetFiles(artifacts, "*.png"))
            {
                Assert.True(new FileInfo(shot).Length > 5_000, $"{shot} looks empty");
            }
            await server.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Rollouts (open one, pause, resume), incidents (open the Mirai-like one, its timeline, a playbook), a device's telemetry, the audit log, the receipts.</summary>
    private static async Task OperationsPagesAsync(IPage page, string artifacts)
    {
        async Task ShotAsync(string name) => await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, name), FullPage = true });

        await page.ClickAsync("nav[aria-label=Main] >> text=Rollouts");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Rollouts");
        var row = page.Locator("table.table tbody tr", new PageLocatorOptions { HasText = DashboardOperationsSeed.RolloutId });
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("running");
        await Assertions.Expect(row.Locator("svg.chart-progress")).ToBeVisibleAsync();
        var completed = page.Locator("table.table tbody tr", new PageLocatorOptions { HasText = DashboardOperationsSeed.CompletedRolloutId });
        await Assertions.Expect(completed.Locator(".badge")).ToHaveTextAsync("completed");
        await ShotAsync("08-rollouts.png");

        await row.Locator("a.mono").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(DashboardOperationsSeed.RolloutId);
        await Assertions.Expect(page.Locator("#ring-0")).ToBeVisibleAsync();
        Assert.True(await page.Locator("table.assignments tbody tr").CountAsync() > 5, "the rollout lists its devices");
        foreach (var state in new[] { "succeeded", "rolled-back", "downloading" })
        {
            Assert.True(await page.Locator("table.assignments .badge", new PageLocatorOptions { HasText = state }).CountAsync() > 0, $"a device is {state}");
        }
        await ShotAsync("09-rollout-detail.png");

        await page.ClickAsync("form.action-pause button");
        await Assertions.Expect(page.Locator(".page-head .badge")).ToHaveTextAsync("paused");
        await ShotAsync("10-rollout-paused.png");
        await page.ClickAsync("form.action-resume button");
        await Assertions.Expect(page.Locator(".page-head .badge")).ToHaveTextAsync("running");

        await page.ClickAsync("nav[aria-label=Main] >> text=Incidents");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Incidents");
        var incident = page.Locator("table.incidents tbody tr", new PageLocatorOptions { HasText = DashboardOperationsSeed.InfectedDevice });
        await Assertions.Expect(incident.Locator(".badge").Nth(1)).ToHaveTextAsync("contained");
        var recovered = page.Locator("table.incidents tbody tr", new PageLocatorOptions { HasText = DashboardOperationsSeed.RecoveredDevice });
        await Assertions.Expect(recovered.Locator(".badge").Nth(1)).ToHaveTextAsync("recovered");
        await ShotAsync("11-incidents.png");

        await incident.Locator("a.mono").First.ClickAsync();
        await Assertions.Expect(page.Locator("svg#incident-timeline")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("svg#incident-timeline .timeline-label", new PageLocatorOptions { HasText = "contained" })).ToHaveCountAsync(1);
        await ShotAsync("12-incident-detail.png");
        var incidentUrl = page.Url;
        await page.ClickAsync("form.playbook-reattest button");
        Assert.Equal(incidentUrl, page.Url);
        await Assertions.Expect(page.Locator("table.timeline-table", new PageLocatorOptions { HasText = "force-reattestation" })).ToBeVisibleAsync();
        await ShotAsync("13-incident-reattest.png");

        await page.Locator("a.mono", new PageLocatorOptions { HasText = DashboardOperationsSeed.InfectedDevice }).First.ClickAsync();
        await Assertions.Expect(page.Locator("svg#spark-cpu")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#device-incidents-heading")).ToBeVisibleAsync();
        await ShotAsync("14-device-telemetry.png");

        await page.ClickAsync("nav[aria-label=Main] >> text=Audit");
        await Assertions.Expect(page.Locator("#verification .badge")).ToHaveTextAsync("verified");
        await ShotAsync("15-audit.png");

        await page.ClickAsync("nav[aria-label=Main] >> text=Receipts");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Security receipts");
        await ShotAsync("16-receipts.png");
    }

    private static string ArtifactDirectory()
    {
        var root = Environment.GetEnvironmentVariable("FLEETWARD_TEST_ARTIFACTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "fleetward-test-artifacts");
        var directory = Path.Combine(root, "dashboard");
        Directory.CreateDirectory(directory);
        foreach (var old in Directory.GetFiles(directory, "*.png"))
        {
            File.Delete(old);
        }
        return directory;
    }

    /// <summary>60 devices across models, states, sites and check-in ages, so every chart and filter has something to show.</summary>
    private static async Task SeedFleetAsync(IFleetStore store, DateTimeOffset now)
    {
        await using var work = await store.BeginAsync();
        for (var i = 0; i < 60; i++)
        {
            var state = (i % 12) switch
            {
                0 => DeviceLifecycleState.Pending,
                5 or 9 => DeviceLifecycleState.Quarantined,
                11 => DeviceLifecycleState.Decommissioned,
                _ => DeviceLifecycleState.Active,
            };
            var model = Models[i % Models.Length];
            var site = (i % 3) switch { 0 => "site:north", 1 => "site:south", _ => "site:harbour" };
            DateTimeOffset? lastSeen = state == DeviceLifecycleState.Pending ? null : now.AddMinutes(-(i * 37 % 2900));
            await work.Devices.InsertAsync(new Device($"robot-{i:D4}", model, i % 4 == 0 ? "B" : "C", [site, i % 2 == 0 ? "ring:canary" : "ring:main"],
                state, now.AddDays(-30), lastSeen is null ? null : now.AddDays(-29), lastSeen));
        }
        await work.CommitAsync();
    }
}
