using System.Diagnostics;
using System.Net.Http.Headers;
using Fleetward.Core.Access;
using Fleetward.Server;
using Fleetward.Server.Access;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Microsoft.Extensions.Logging;

namespace Fleetward.Integration.Tests.Server;

/// <summary>
/// Prometheus' own validator judges /metrics: `promtool check metrics` must accept the exposition
/// of a server that has seen real traffic (successes, refusals, errors, device handshakes).
/// promtool comes from FLEETWARD_PROMTOOL (scripts/test provides it) or PATH.
/// </summary>
public sealed class MetricsPromtoolTests
{
    [Fact]
    public async Task Promtool_accepts_the_metrics_exposition()
    {
        var promtool = FindPromtool();
        var directory = Directory.CreateTempSubdirectory("fleetward-promtool-");
        try
        {
            var certificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []);
            await using var store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"));
            await using var server = FleetwardServer.Build(
                new ServerOptions { OperatorUrl = new Uri("https://127.0.0.1:0"), DeviceUrl = new Uri("https://127.0.0.1:0"), OperatorCertificate = certificate },
                store,
                new FleetwardServerSetup { ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None) });
            await server.StartAsync();
            var auditor = (await new ApiTokenIssuer(store, TimeProvider.System).IssueAsync("scraper", OperatorRole.Auditor, null, "test", default)).PlainText;

            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData);
            using var client = new HttpClient(handler) { BaseAddress = server.OperatorAddress };
            await client.GetAsync("/healthz");
            await client.GetAsync("/readyz");
            await client.GetAsync("/api/v1/devices");
            await client.GetAsync("/no/such/route?x=\"quoted\"");
            using var deviceHandler = new SocketsHttpHandler();
            deviceHandler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            using (var device = new HttpClient(deviceHandler) { BaseAddress = server.DeviceAddress })
            {
                // A client without a device certificate reaches only the anonymous EST/TUF routes; anything else is refused.
                using var refused = await device.GetAsync("/");
                Assert.False(refused.IsSuccessStatusCode);
            }
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", auditor);
            await client.GetAsync("/api/v1/devices?limit=5");
            await client.GetAsync("/api/v1/tokens");

            var response = await client.GetAsync("/metrics");
            var exposition = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, exposition);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            Assert.Contains("fleetward_http_server_request_duration_seconds_bucket{", exposition);
            Assert.Contains("le=\"+Inf\"", exposition);
            Assert.Contains("fleetward_http_server_requests_total{", exposition);
            Assert.Contains("route=\"/api/v1/devices/\"", exposition);
            Assert.Contains("fleetward_operator_access_refusals_total{reason=\"missing\"}", exposition);
            Assert.Contains("fleetward_server_uptime_seconds ", exposition);

            var (exitCode, output) = await RunAsync(promtool, ["check", "metrics"], exposition);
            Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}\n--- exposition ---\n{exposition}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static string FindPromtool()
    {
        if (Environment.GetEnvironmentVariable("FLEETWARD_PROMTOOL") is { Length: > 0 } configured)
        {
            Assert.True(File.Exists(configured), $"FLEETWARD_PROMTOOL={configured} does not exist.");
            return configured;
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail("promtool not found: set FLEETWARD_PROMTOOL or put it in PATH (scripts/test unpacks it from Debian's prometheus package: apt-get download prometheus && dpkg-deb -x).");
        return "";
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string input)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
