using System.Net;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Tests.Hosting;

public sealed class OperationsEndpointsTests
{
    [Fact]
    public async Task Health_and_readiness_answer_without_a_token_and_metrics_needs_one()
    {
        await using var server = await TestServer.StartAsync();
        var anonymous = server.OperatorClient();

        Assert.Equal("ok", JsonDocument.Parse(await anonymous.GetStringAsync("/healthz")).RootElement.GetProperty("status").GetString());
        Assert.Equal("sqlite", JsonDocument.Parse(await anonymous.GetStringAsync("/readyz")).RootElement.GetProperty("store").GetString());
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/metrics"), HttpStatusCode.Unauthorized, "unauthenticated");
        var metrics = await server.OperatorClient(OperatorRole.Auditor).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("# TYPE fleetward_http_server_requests_total counter", await metrics.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_reports_an_unreachable_store_as_unavailable_while_liveness_stays_up()
    {
        var options = new ServerOptions
        {
            OperatorUrl = new Uri("https://127.0.0.1:0"),
            DeviceUrl = new Uri("https://127.0.0.1:0"),
            OperatorCertificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []),
        };
        await using var server = FleetwardServer.Build(options, new UnreachableStore(), new FleetwardServerSetup
        {
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
        });
        await server.StartAsync();
        using var client = new HttpClient(TestServer.PinnedHandler(options.OperatorCertificate!)) { BaseAddress = server.OperatorAddress };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.DoesNotContain("database is down", problem.ToString());
    }

    [Fact]
    public void Invalid_options_are_refused_before_binding_naming_each_option()
    {
        var error = Assert.Throws<ServerOptionsException>(() => FleetwardServer.Build(new ServerOptions
        {
            OperatorUrl = new Uri("http://127.0.0.1:8443"),
            DeviceUrl = new Uri("https://fleet.example:8444"),
        }, new UnreachableStore()));

        Assert.Contains(error.Errors, e => e.StartsWith("OperatorUrl:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("DeviceUrl:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("OperatorCertificate:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_listeners_need_distinct_ports()
    {
        var errors = new ServerOptions
        {
            OperatorUrl = new Uri("https://127.0.0.1:9000"),
            DeviceUrl = new Uri("https://127.0.0.1:9000"),
            OperatorCertificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []),
        }.Validate();

        Assert.Contains(errors, e => e.StartsWith("DeviceUrl:", StringComparison.Ordinal) && e.Contains("own port"));
    }

    private sealed class UnreachableStore : IFleetStore
    {
        public string Engine => "sqlite";

        public Task<IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default) => throw new IOException("database is down");

        public Task<IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default) => throw new IOException("database is down");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
