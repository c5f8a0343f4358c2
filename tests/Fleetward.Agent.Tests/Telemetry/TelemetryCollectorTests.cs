using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Fleetward.Agent.Telemetry;
using Fleetward.Agent.Tests.Slots;

namespace Fleetward.Agent.Tests.Telemetry;

/// <summary>Reads this machine's real /proc: the collector must see what the test itself opens.</summary>
public sealed class TelemetryCollectorTests : IDisposable
{
    private readonly TemporaryDirectory state = new();

    public void Dispose() => state.Dispose();

    private TelemetryCollector NewCollector(AgentEventCounters? counters = null, string procRoot = "/proc") => new(
        new TelemetryCollectorOptions(state.Path, procRoot),
        TimeProvider.System,
        new FixedRobotSensors(new SensorReadings(new GpsFix(52.52, 13.40, 3.0), false, 41.5)),
        counters ?? new AgentEventCounters());

    [Fact]
    public async Task Sees_a_listener_and_an_established_connection_the_test_opens()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var accepted = await listener.AcceptTcpClientAsync();
        var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        var snapshot = NewCollector().Collect();

        Assert.Contains(snapshot.Listeners, s => s.Protocol == TransportProtocol.Tcp && s.Local.Equals(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Contains(snapshot.EstablishedConnections, s =>
            s.Local.Equals(new IPEndPoint(IPAddress.Loopback, clientPort)) && s.Remote.Equals(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public void Names_the_process_that_holds_a_listener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var snapshot = NewCollector().Collect();

        var socket = Assert.Single(snapshot.Listeners, s => s.Protocol == TransportProtocol.Tcp && s.Local.Port == port);
        var owner = snapshot.Processes.SocketOwners[socket.Inode];
        Assert.Equal(Environment.ProcessId, owner.Pid);
        Assert.Equal(File.ReadAllText($"/proc/{Environment.ProcessId}/comm").TrimEnd('\n'), owner.Name);
    }

    [Fact]
    public void Sees_a_udp_listener()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var snapshot = NewCollector().Collect();

        Assert.Contains(snapshot.Listeners, s => s.Protocol == TransportProtocol.Udp && s.Local.Equals(udp.Client.LocalEndPoint));
    }

    [Fact]
    public void Sees_an_ipv6_listener_where_the_kernel_has_ipv6()
    {
        if (!Socket.OSSupportsIPv6 || !File.Exists("/proc/net/tcp6"))
        {
            return;
        }
        using var tcp6 = new TcpListener(IPAddress.IPv6Loopback, 0);
        tcp6.Start();
        var snapshot = NewCollector().Collect();

        Assert.Contains(snapshot.Listeners, s => s.Protocol == TransportProtocol.Tcp && s.Local.Equals(tcp6.LocalEndpoint));
    }

    [Fact]
    public void Sees_a_process_whose_executable_was_deleted()
    {
        var copy = state.Sub("sleeper");
        File.Copy("/bin/sleep", copy);
        using var process = Process.Start(copy, "30");
        try
        {
            File.Delete(copy);
            var snapshot = NewCollector().Collect();

            var found = Assert.Single(snapshot.Processes.DeletedExecutables, p => p.Pid == process.Id);
            Assert.Equal(copy, found.ExecutablePath);
            Assert.Equal("sleeper", found.Name);
            Assert.True(snapshot.Processes.ProcessCount > 1);
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    [Fact]
    public void Reports_machine_figures_counters_and_sensors()
    {
        var counters = new AgentEventCounters();
        counters.RecordIntegrityCheckFailure();
        counters.RecordInstallFailure();
        counters.RecordInstallFailure();
        var collector = NewCollector(counters);

        var first = collector.Collect();
        Thread.SpinWait(5_000_000);
        var second = collector.Collect();

        Assert.Null(first.CpuUsage);
        Assert.InRange(second.CpuUsage!.Value, 0.0, 1.0);
        Assert.True(second.Memory.TotalBytes > second.Memory.AvailableBytes);
        Assert.Contains(second.Interfaces, i => i.IsLoopback);
        Assert.True(second.Uptime > TimeSpan.Zero);
        Assert.Equal(0, second.Reboots.Reboots);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), second.Reboots.BootId);
        Assert.Equal((1L, 2L), (second.IntegrityCheckFailures, second.InstallFailures));
        Assert.Equal(41.5, second.Sensors.PowerDrawWatts);
    }

    [Fact]
    public void Reboot_counter_counts_a_changed_boot_id_across_restarts()
    {
        var bootId = state.Sub("boot_id");
        File.WriteAllText(bootId, "first\n");
        var counterFile = state.Sub("reboots");
        Assert.Equal(0, new RebootCounter(counterFile, bootId).Observe().Reboots);
        Assert.Equal(0, new RebootCounter(counterFile, bootId).Observe().Reboots);
        File.WriteAllText(bootId, "second\n");
        Assert.Equal(new RebootCount("second", 1), new RebootCounter(counterFile, bootId).Observe());
    }
}
