using System.Net;
using System.Net.Sockets;
using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

public sealed class AgentHealthCheckTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Healthy_when_the_server_is_reached_and_every_service_accepts()
    {
        using var service = new TcpListener(IPAddress.Loopback, 0);
        service.Start();
        var port = ((IPEndPoint)service.LocalEndpoint).Port;
        var check = new AgentHealthCheck(_ => Task.FromResult(true), [new DnsEndPoint("127.0.0.1", port)], Timeout);

        Assert.Equal(HealthResult.Pass, await check.CheckAsync(default));
    }

    [Fact]
    public async Task A_service_that_does_not_answer_fails_naming_it()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var check = new AgentHealthCheck(_ => Task.FromResult(true), [new DnsEndPoint("127.0.0.1", closedPort)], Timeout);

        var result = await check.CheckAsync(default);
        Assert.False(result.Healthy);
        Assert.StartsWith($"service 127.0.0.1:{closedPort} does not answer", result.Reason);
    }

    [Fact]
    public async Task Unreachable_server_fails_before_probing_services()
    {
        var check = new AgentHealthCheck(_ => Task.FromResult(false), [new DnsEndPoint("127.0.0.1", 1)], Timeout);
        Assert.Equal(HealthResult.Fail("server unreachable"), await check.CheckAsync(default));
    }

    [Fact]
    public async Task Server_call_that_throws_fails_with_its_message()
    {
        var check = new AgentHealthCheck(_ => throw new HttpRequestException("TLS handshake failed"), [], Timeout);
        Assert.Equal(HealthResult.Fail("server unreachable: TLS handshake failed"), await check.CheckAsync(default));
    }
}
