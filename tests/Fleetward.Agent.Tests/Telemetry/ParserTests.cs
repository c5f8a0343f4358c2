using System.Net;
using Fleetward.Agent.Telemetry;

namespace Fleetward.Agent.Tests.Telemetry;

public sealed class CpuTimesTests
{
    private const string Stat = """
        cpu  100 5 50 800 20 3 2 0 7 0
        cpu0 50 2 25 400 10 1 1 0 3 0
        intr 12345
        """;

    [Fact]
    public void Parses_the_aggregate_line()
    {
        Assert.Equal(new CpuTimes(100, 5, 50, 800, 20, 3, 2, 0), CpuTimes.Parse(Stat));
    }

    [Fact]
    public void Usage_is_the_busy_share_of_the_elapsed_ticks()
    {
        var before = new CpuTimes(100, 0, 50, 800, 50, 0, 0, 0);
        var after = new CpuTimes(160, 0, 70, 850, 70, 0, 0, 0);
        // 150 ticks passed, 70 of them idle or waiting for I/O.
        Assert.Equal(80.0 / 150.0, after.UsageSince(before)!.Value, 10);
    }

    [Fact]
    public void No_elapsed_ticks_means_no_usage() =>
        Assert.Null(CpuTimes.Parse(Stat).UsageSince(CpuTimes.Parse(Stat)));

    [Fact]
    public void Missing_cpu_line_is_an_error() =>
        Assert.Throws<FormatException>(() => CpuTimes.Parse("intr 1\n"));
}

public sealed class MemoryInfoTests
{
    [Fact]
    public void Uses_mem_available_in_bytes()
    {
        var info = MemoryInfo.Parse("MemTotal:        2048 kB\nMemFree:          100 kB\nMemAvailable:    1024 kB\nBuffers: 10 kB\n");
        Assert.Equal(new MemoryInfo(2048 * 1024UL, 1024 * 1024UL), info);
        Assert.Equal(1024 * 1024UL, info.UsedBytes);
    }

    [Fact]
    public void Old_kernels_fall_back_to_free_plus_caches() =>
        Assert.Equal(600 * 1024UL, MemoryInfo.Parse("MemTotal: 2048 kB\nMemFree: 100 kB\nBuffers: 200 kB\nCached: 300 kB\n").AvailableBytes);

    [Fact]
    public void Missing_total_is_an_error() =>
        Assert.Throws<FormatException>(() => MemoryInfo.Parse("MemFree: 1 kB\n"));
}

public sealed class InterfaceCountersTests
{
    private const string NetDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
          eth0:12345678901  2000    0    0    0     0          0         0   555     7    0    0    0     0       0          0
        """;

    [Fact]
    public void Parses_receive_and_transmit_counters_even_without_a_space_after_the_colon()
    {
        var counters = InterfaceCounters.Parse(NetDev);
        Assert.Equal(
            [new InterfaceCounters("lo", 1000, 10, 1000, 10), new InterfaceCounters("eth0", 12345678901, 2000, 555, 7)],
            counters);
    }

    [Fact]
    public void Short_row_names_the_interface()
    {
        var error = Assert.Throws<FormatException>(() => InterfaceCounters.Parse("wlan0: 1 2 3\n"));
        Assert.Contains("wlan0", error.Message);
    }
}

public sealed class SocketTableTests
{
    private const string Tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
           1: 0F02000A:D431 5DB8D822:01BB 01 00000000:00000000 02:000004E2 00000000  1000        0 4343 2 0000000000000000 20 4 30 10 -1
        """;

    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5000 1 0000000000000000 100 0 0 10 0
           1: 0000000000000000FFFF00000100007F:9462 0000000000000000FFFF00000100007F:AF9B 01 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 20 4 30 10 -1
           2: B80D0120000000000000000001000000:C350 B80D0120000000000000000002000000:0017 01 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 20 4 30 10 -1
        """;

    private const string Udp = """
           sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
          10: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6000 2 0000000000000000 0
          11: 0100007F:A1B2 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 6001 2 0000000000000000 0
        """;

    [Fact]
    public void Ipv4_rows_decode_little_endian_addresses_and_big_endian_ports()
    {
        var rows = SocketTable.Parse(Tcp, TransportProtocol.Tcp);
        Assert.Equal(new SocketEntry(TransportProtocol.Tcp, IPEndPoint.Parse("127.0.0.1:8080"), IPEndPoint.Parse("0.0.0.0:0"), 0x0A, 4242), rows[0]);
        Assert.True(rows[0].IsListening);
        Assert.Equal(IPEndPoint.Parse("10.0.2.15:54321"), rows[1].Local);
        Assert.Equal(IPEndPoint.Parse("34.216.184.93:443"), rows[1].Remote);
        Assert.True(rows[1].IsEstablishedTcp);
    }

    [Fact]
    public void Ipv6_rows_decode_four_host_order_words()
    {
        var rows = SocketTable.Parse(Tcp6, TransportProtocol.Tcp);
        Assert.Equal(IPEndPoint.Parse("[::1]:22"), rows[0].Local);
        Assert.True(rows[0].IsListening);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::2]:23"), rows[2].Remote);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:50000"), rows[2].Local);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_addresses_come_back_as_ipv4()
    {
        var rows = SocketTable.Parse(Tcp6, TransportProtocol.Tcp);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:37986"), rows[1].Local);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:44955"), rows[1].Remote);
    }

    [Fact]
    public void Big_endian_hosts_print_addresses_in_network_order() =>
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:80"), SocketTable.ParseEndPoint("7F000001:0050", hostIsLittleEndian: false));

    [Fact]
    public void Unconnected_udp_socket_listens_and_connected_one_does_not()
    {
        var rows = SocketTable.Parse(Udp, TransportProtocol.Udp);
        Assert.True(rows[0].IsListening);
        Assert.Equal(68, rows[0].Local.Port);
        Assert.False(rows[1].IsListening);
        Assert.False(rows[1].IsEstablishedTcp);
    }

    [Fact]
    public void Malformed_address_is_refused() =>
        Assert.Throws<FormatException>(() => SocketTable.ParseEndPoint("0100007F1F90"));
}

public sealed class SmallParserTests
{
    [Fact]
    public void Deleted_executable_link_yields_the_original_path()
    {
        Assert.Equal("/tmp/.x/mirai", ProcessScan.DeletedPath("/tmp/.x/mirai (deleted)"));
        Assert.Null(ProcessScan.DeletedPath("/usr/bin/sleep"));
    }

    [Fact]
    public void Uptime_is_the_first_field() =>
        Assert.Equal(TimeSpan.FromSeconds(12345.67), TelemetryCollector.ParseUptime("12345.67 23456.78\n"));

    [Fact]
    public void First_boot_id_counts_no_reboot() =>
        Assert.Equal(new RebootCount("b1", 0), RebootCount.Next(null, "b1"));

    [Fact]
    public void Same_boot_id_keeps_the_count() =>
        Assert.Equal(new RebootCount("b1", 4), RebootCount.Next(new RebootCount("b1", 4), "b1"));

    [Fact]
    public void New_boot_id_counts_a_reboot() =>
        Assert.Equal(new RebootCount("b2", 5), RebootCount.Next(new RebootCount("b1", 4), "b2"));
}
