using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Fleetward.Agent.Telemetry;

/// <summary>Transport of a socket read from <c>/proc/net</c>.</summary>
public enum TransportProtocol
{
    Tcp,
    Udp,
}

/// <summary>One row of <c>/proc/net/{tcp,tcp6,udp,udp6}</c>.</summary>
public sealed record SocketEntry(TransportProtocol Protocol, IPEndPoint Local, IPEndPoint Remote, int State, ulong Inode)
{
    /// <summary>TCP_ESTABLISHED in include/net/tcp_states.h.</summary>
    public const int TcpEstablished = 0x01;

    /// <summary>TCP_CLOSE: the state of an unconnected UDP socket.</summary>
    public const int TcpClose = 0x07;

    /// <summary>TCP_LISTEN.</summary>
    public const int TcpListen = 0x0A;

    /// <summary>TCP_SYN_SENT: an outgoing connection not answered yet; a scanner leaves many of these.</summary>
    public const int TcpSynSent = 0x02;

    public bool IsEstablishedTcp => Protocol == TransportProtocol.Tcp && State == TcpEstablished;

    /// <summary>A TCP socket with a remote peer: established, or still trying to reach it.</summary>
    public bool IsConnectedOrConnectingTcp => Protocol == TransportProtocol.Tcp && State is TcpEstablished or TcpSynSent;

    /// <summary>A TCP socket in LISTEN, or a bound UDP socket with no connected peer (it receives from anyone).</summary>
    public bool IsListening => Protocol == TransportProtocol.Tcp
        ? State == TcpListen
        : State == TcpClose && Remote.Port == 0 && Local.Port != 0;
}

/// <summary>
/// Parses the kernel's socket tables (proc(5) "/proc/net/tcp"): addresses are printed as the raw 32-bit
/// words of the address in host byte order, in hex (one word for IPv4, four for IPv6), ports as big-endian hex.
/// </summary>
public static class SocketTable
{
    public static IReadOnlyList<SocketEntry> Parse(string text, TransportProtocol protocol, bool hostIsLittleEndian = true)
    {
        var entries = new List<SocketEntry>();
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || !fields[0].EndsWith(':') || fields[0] == "sl")
            {
                continue;
            }
            var local = ParseEndPoint(fields[1], hostIsLittleEndian);
            var remote = ParseEndPoint(fields[2], hostIsLittleEndian);
            var state = int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var inode = ulong.Parse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture);
            entries.Add(new SocketEntry(protocol, local, remote, state, inode));
        }
        return entries;
    }

    /// <summary>Parses "0100007F:1F90" or the 32-digit IPv6 form; IPv4-mapped IPv6 addresses come back as IPv4.</summary>
    public static IPEndPoint ParseEndPoint(string text, bool hostIsLittleEndian = true)
    {
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            throw new FormatException($"socket address '{text}' has no port");
        }
        var hex = text[..colon];
        if (hex.Length is not (8 or 32))
        {
            throw new FormatException($"socket address '{text}' has {hex.Length} hex digits, expected 8 or 32");
        }
        var bytes = Convert.FromHexString(hex);
        if (hostIsLittleEndian)
        {
            for (var word = 0; word < bytes.Length; word += 4)
            {
                bytes.AsSpan(word, 4).Reverse();
            }
        }
        var address = new IPAddress(bytes);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(Convert.FromHexString(text[(colon + 1)..]));
        return new IPEndPoint(address, port);
    }
}
