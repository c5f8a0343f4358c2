using System.Net;
using System.Text.Json.Nodes;
using Fleetward.Core.Detection;
using Fleetward.Core.Siem;
using Fleetward.Server.Configuration;
using Fleetward.Server.Detection;
using Fleetward.Server.Tests.Cli;
using Fleetward.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Server.Tests.Detection;

/// <summary>The SIEM outbox exporter with the webhook transport, the "siem" configuration section, and the command key made by init.</summary>
public sealed class SiemExportTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("fleetward-siem-test-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Webhook_failures_keep_events_with_backoff_and_a_later_success_delivers_them_in_order()
    {
        var clock = new ManualClock(TestServer.Start);
        await using var store = await FleetStores.OpenSqliteAsync(Path.Combine(_directory.FullName, "fleetward.db"), default, clock);
        await using (var work = await store.BeginAsync())
        {
            for (var i = 1; i <= 3; i++)
            {
                var e = new OcsfEvent(OcsfEventFactory.DetectionFindingClass, 1, DetectionSeverity.High, "rover-1", clock.GetUtcNow(), $"{{\"n\":{i}}}");
                await work.SiemOutbox.EnqueueAsync(SiemConfiguration.WebhookSink, SiemEventEnvelope.Write(e), clock.GetUtcNow());
            }
            await work.CommitAsync();
        }
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.ServiceUnavailable, HttpStatusCode.Accepted]);
        var bodies = new List<string>();
        var handler = new RecordingHandler(request =>
        {
            Assert.Equal("Bearer s3cret", request.Headers.Authorization?.ToString());
            bodies.Add(request.Content!.ReadAsStringAsync().Result);
            return answers.Dequeue();
        });
        var exporter = new SiemExporter(new WebhookTransport(new WebhookSinkOptions(new Uri("https://siem.example/ocsf"), "s3cret"), new HttpClient(handler)),
            store, clock, NullLogger<SiemExporter>.Instance);

        Assert.Equal(0, await exporter.DeliverDueAsync(default));
        Assert.Equal(0, await exporter.DeliverDueAsync(default));
        Assert.Single(bodies);
        clock.Advance(SiemExporter.Backoff(0));
        Assert.Equal(3, await exporter.DeliverDueAsync(default));
        Assert.Equal("[{\"n\":1},{\"n\":2},{\"n\":3}]", bodies[1]);
        await using var read = await store.ReadAsync();
        Assert.Equal(0, await read.SiemOutbox.CountAsync(SiemConfiguration.WebhookSink));
        Assert.Equal(TimeSpan.FromMinutes(5), SiemExporter.Backoff(30));
    }

    [Fact]
    public void Siem_section_is_read_strictly_with_paths_relative_to_the_data_directory()
    {
        var directory = new DataDirectory(_directory.FullName);
        var siem = SiemConfiguration.Parse(JsonNode.Parse("""
            { "syslog": { "host": "siem.example", "port": 6514, "caCertificate": "ca.pem", "clientCertificate": "c.crt", "clientKey": "c.key" },
              "webhook": { "url": "https://siem.example/ocsf" } }
            """), directory);
        Assert.Equal(["syslog", "webhook"], siem.Sinks);
        Assert.Equal(Path.Combine(_directory.FullName, "ca.pem"), siem.Syslog!.CaCertificatePath);
        Assert.Null(siem.Webhook!.BearerToken);
        Assert.Empty(SiemConfiguration.Parse(null, directory).Sinks);

        var badPort = Assert.Throws<ConfigurationException>(() => SiemConfiguration.Parse(JsonNode.Parse("""{ "syslog": { "host": "h", "port": 0, "caCertificate": "a", "clientCertificate": "b", "clientKey": "c" } }"""), directory));
        Assert.Equal("siem.syslog.port", badPort.Key);
        var plainHttp = Assert.Throws<ConfigurationException>(() => SiemConfiguration.Parse(JsonNode.Parse("""{ "webhook": { "url": "http://siem.example" } }"""), directory));
        Assert.Equal("siem.webhook.url", plainHttp.Key);
        var unknown = Assert.Throws<ConfigurationException>(() => SiemConfiguration.Parse(JsonNode.Parse("""{ "splunk": {} }"""), directory));
        Assert.Equal("siem.splunk", unknown.Key);
    }

    [Fact]
    public async Task Init_creates_a_private_p256_command_key_that_the_server_loads()
    {
        var data = Path.Combine(_directory.FullName, "data");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        var directory = new DataDirectory(data);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.CommandKeyPath));
        }
        using var key = ServerCommandKey.Load(directory.CommandKeyPath);
        Assert.True(key.IsPersistent);
        Assert.Equal(256, key.Key.KeySize);
        Assert.Contains("BEGIN PUBLIC KEY", key.PublicKeyPem);
        Assert.Throws<IOException>(() => ServerCommandKey.Create(directory.CommandKeyPath));
    }

    private sealed class RecordingHandler(Func<HttpRequestMessage, HttpStatusCode> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(answer(request)));
    }
}
