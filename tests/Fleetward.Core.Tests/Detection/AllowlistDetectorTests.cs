using System.Net;
using Fleetward.Core.Detection;
using Fleetward.Core.Telemetry;
using static Fleetward.Core.Tests.Detection.Reports;

namespace Fleetward.Core.Tests.Detection;

public sealed class AllowlistDetectorTests
{
    private static readonly NetworkAllowlist Allowed = NetworkAllowlist.Parse(["10.0.0.0/8", "2001:db8::/32", "203.0.113.7/32:443,8883"]);

    [Theory]
    [InlineData("10.1.2.3", 80, true)]
    [InlineData("11.0.0.1", 80, false)]
    [InlineData("2001:db8:1::5", 443, true)]
    [InlineData("2001:db9::5", 443, false)]
    [InlineData("::ffff:10.9.9.9", 22, true)]
    [InlineData("203.0.113.7", 443, true)]
    [InlineData("203.0.113.7", 80, false)]
    [InlineData("203.0.113.8", 443, false)]
    public void Cidr_and_port_matching(string address, int port, bool allowed)
    {
        Assert.Equal(allowed, Allowed.Allows(IPAddress.Parse(address), port));
    }

    [Fact]
    public void Ipv6_entries_may_carry_ports_too()
    {
        var list = NetworkAllowlist.Parse(["fd00:1::/64:8883,443"]);
        Assert.True(list.Allows(IPAddress.Parse("fd00:1::7"), 8883));
        Assert.False(list.Allows(IPAddress.Parse("fd00:1::7"), 22));
        Assert.False(list.Allows(IPAddress.Parse("fd00:2::7"), 443));
        Assert.False(list.Allows(IPAddress.Parse("10.0.0.1"), 443));
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("not-a-network")]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.0/8:0")]
    public void Bad_entries_are_refused(string entry)
    {
        Assert.Throws<FormatException>(() => NetworkAllowlist.Parse([entry]));
    }

    [Fact]
    public void Destination_detector_raises_on_new_destinations_only_and_clears()
    {
        var detector = new DestinationAllowlistDetector(Allowed);
        var state = detector.CreateState();
        Assert.Empty(Run(detector, state, Sample(At(0).WithConnections(("10.0.0.5", 8443)))).Detections);

        var d = Assert.Single(Run(detector, state, Sample(At(1).WithConnections(("10.0.0.5", 8443), ("198.51.100.9", 6667)))).Detections);
        Assert.Equal(DetectionCauses.DestinationNotAllowed, d.Cause);
        Assert.Equal("198.51.100.9:6667", Assert.Single(d.Evidence).Value);

        Assert.Empty(Run(detector, state, Sample(At(2).WithConnections(("198.51.100.9", 6667)))).Detections);
        var again = Assert.Single(Run(detector, state, Sample(At(3).WithConnections(("198.51.100.9", 6667), ("2001:db9::1", 443)))).Detections);
        Assert.Equal("[2001:db9::1]:443", Assert.Single(again.Evidence).Value);

        var cleared = Run(detector, state, Sample(At(4)));
        Assert.Single(cleared.Clears);
    }

    [Fact]
    public void Listener_detector_raises_on_ports_outside_the_allowlist()
    {
        var detector = new ListenerAllowlistDetector(new PortAllowlist(new HashSet<int> { 22 }, new HashSet<int> { 68 }));
        var state = detector.CreateState();
        var ok = At(0) with { Listeners = [new() { Protocol = TransportProtocol.Tcp, Port = 22 }, new() { Protocol = TransportProtocol.Udp, Port = 68 }] };
        Assert.Empty(Run(detector, state, Sample(ok)).Detections);

        var bad = ok with { Listeners = [.. ok.Listeners, new() { Protocol = TransportProtocol.Udp, Port = 22, ProcessName = "x" }] };
        var d = Assert.Single(Run(detector, state, Sample(bad)).Detections);
        Assert.Equal("udp/22 (x)", Assert.Single(d.Evidence).Value);
        Assert.Empty(Run(detector, state, Sample(bad with { Sequence = 2 })).Detections);
        Assert.Single(Run(detector, state, Sample(ok)).Clears);
    }
}
