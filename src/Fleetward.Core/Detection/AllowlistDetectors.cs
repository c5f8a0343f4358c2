using System.Net;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Detection;

/// <summary>
/// Where devices may connect: CIDR networks (IPv4 and IPv6), optionally limited to ports. IPv4-mapped IPv6
/// addresses (<c>::ffff:a.b.c.d</c>, as /proc/net/tcp6 shows IPv4 peers of dual-stack sockets) match IPv4 networks.
/// </summary>
public sealed class NetworkAllowlist
{
    private readonly (IPNetwork Network, IReadOnlySet<int>? Ports)[] _entries;

    public NetworkAllowlist(IEnumerable<(IPNetwork Network, IReadOnlySet<int>? Ports)> entries) =>
        _entries = entries.ToArray();

    /// <summary>Parses entries like <c>10.0.0.0/8</c>, <c>2001:db8::/32</c> or <c>203.0.113.7/32:443,8883</c>.</summary>
    public static NetworkAllowlist Parse(IEnumerable<string> entries)
    {
        var parsed = new List<(IPNetwork, IReadOnlySet<int>?)>();
        foreach (var entry in entries)
        {
            var slash = entry.IndexOf('/');
            var colonAfterPrefix = slash < 0 ? -1 : entry.IndexOf(':', slash);
            var cidr = colonAfterPrefix < 0 ? entry : entry[..colonAfterPrefix];
            // A prefix with host bits set (10.0.0.1/8) is refused: it usually means the operator meant a host.
            if (slash < 0 || !IPNetwork.TryParse(cidr, out var network) || !network.BaseAddress.Equals(IPAddress.Parse(cidr[..slash])))
                throw new FormatException($"Allowlist entry '{entry}' is not a CIDR network (a.b.c.d/n or x::/n, host bits zero).");
            IReadOnlySet<int>? ports = null;
            if (colonAfterPrefix >= 0)
            {
                var set = new HashSet<int>();
                foreach (var p in entry[(colonAfterPrefix + 1)..].Split(','))
                {
                    if (!int.TryParse(p, out var port) || port is < 1 or > 65535)
                        throw new FormatException($"Allowlist entry '{entry}' has an invalid port '{p}'.");
                    set.Add(port);
                }
                ports = set;
            }
            parsed.Add((network, ports));
        }
        return new NetworkAllowlist(parsed);
    }

    public bool Allows(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var (network, ports) in _entries)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address)
                && (ports is null || ports.Contains(port)))
                return true;
        }
        return false;
    }
}

/// <summary>Ports a device may listen on, per transport.</summary>
public sealed record PortAllowlist(IReadOnlySet<int> Tcp, IReadOnlySet<int> Udp)
{
    public bool Allows(TransportProtocol protocol, int port) =>
        protocol == TransportProtocol.Tcp ? Tcp.Contains(port) : Udp.Contains(port);
}

/// <summary>
/// Flags connections (established or being attempted) to peers outside the <see cref="NetworkAllowlist"/>.
/// Raises again only when a destination appears that the previous report did not already show, and clears when
/// no disallowed connection is left.
/// </summary>
public sealed class DestinationAllowlistDetector(NetworkAllowlist allowlist) : Detector<DestinationAllowlistDetector.State>
{
    private const string Signal = "destination-allowlist";
    private const int MaxEvidence = 16;

    public sealed class State
    {
        internal HashSet<string> Previous = new(StringComparer.Ordinal);
    }

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        var fresh = new List<DetectionEvidence>();
        foreach (var c in sample.Report.TcpConnections)
        {
            if (!IPAddress.TryParse(c.RemoteAddress, out var address) || allowlist.Allows(address, c.RemotePort)) continue;
            var key = FormatEndpoint(address, c.RemotePort);
            if (current.Add(key) && !state.Previous.Contains(key) && fresh.Count < MaxEvidence)
                fresh.Add(new DetectionEvidence("destination", key));
        }
        if (fresh.Count > 0)
        {
            sink.Raise(DetectionCauses.DestinationNotAllowed, Signal, DetectionSeverity.Medium,
                $"{current.Count} connection(s) to destinations outside the allowlist", sample.SampledAt, fresh.ToArray());
        }
        else if (current.Count == 0 && state.Previous.Count > 0)
        {
            sink.Clear(DetectionCauses.DestinationNotAllowed, Signal);
        }
        state.Previous = current;
    }

    internal static string FormatEndpoint(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
    }
}

/// <summary>Flags listening ports outside the <see cref="PortAllowlist"/>; raises on new ones, clears when none remain.</summary>
public sealed class ListenerAllowlistDetector(PortAllowlist allowlist) : Detector<ListenerAllowlistDetector.State>
{
    private const string Signal = "listener-allowlist";

    public sealed class State
    {
        internal HashSet<(TransportProtocol, int)> Previous = [];
    }

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        var current = new HashSet<(TransportProtocol, int)>();
        var fresh = new List<DetectionEvidence>();
        foreach (var l in sample.Report.Listeners)
        {
            if (allowlist.Allows(l.Protocol, l.Port)) continue;
            if (current.Add((l.Protocol, l.Port)) && !state.Previous.Contains((l.Protocol, l.Port)))
                fresh.Add(new DetectionEvidence("listener", $"{(l.Protocol == TransportProtocol.Tcp ? "tcp" : "udp")}/{l.Port}" + (l.ProcessName is null ? "" : $" ({l.ProcessName})")));
        }
        if (fresh.Count > 0)
        {
            sink.Raise(DetectionCauses.ListenerNotAllowed, Signal, DetectionSeverity.Medium,
                $"{current.Count} listening port(s) outside the allowlist", sample.SampledAt, fresh.ToArray());
        }
        else if (current.Count == 0 && state.Previous.Count > 0)
        {
            sink.Clear(DetectionCauses.ListenerNotAllowed, Signal);
        }
        state.Previous = current;
    }
}
