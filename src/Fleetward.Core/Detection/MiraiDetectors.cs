using System.Globalization;
using Fleetward.Core.Telemetry;

namespace Fleetward.Core.Detection;

/// <summary>
/// Mirai's scanner opens telnet connections (ports 23 and 2323) to many random addresses. Counts distinct peers on
/// those ports over a short window, so one scanning snapshot of SYN-SENT sockets is enough to alarm.
/// </summary>
public sealed class TelnetScanDetector : Detector<TelnetScanDetector.State>
{
    private const string Signal = "telnet-scan";
    private const int MaxTrackedPeers = 1024;
    private const int MaxEvidence = 16;
    private readonly IReadOnlySet<int> _ports;
    private readonly int _fanOut;
    private readonly TimeSpan _window;

    public TelnetScanDetector(int fanOut = 10, TimeSpan? window = null, IReadOnlySet<int>? ports = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fanOut, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fanOut, MaxTrackedPeers);
        _fanOut = fanOut;
        _window = window ?? TimeSpan.FromMinutes(5);
        _ports = ports ?? new HashSet<int> { 23, 2323 };
    }

    public sealed class State
    {
        internal readonly Dictionary<string, DateTimeOffset> Peers = new(StringComparer.Ordinal);
        internal bool InAlarm;
    }

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        foreach (var c in sample.Report.TcpConnections)
        {
            if (!_ports.Contains(c.RemotePort)) continue;
            if (state.Peers.Count < MaxTrackedPeers || state.Peers.ContainsKey(c.RemoteAddress))
                state.Peers[c.RemoteAddress] = sample.SampledAt;
        }
        var horizon = sample.SampledAt - _window;
        foreach (var (peer, seen) in state.Peers)
        {
            if (seen <= horizon) state.Peers.Remove(peer);
        }

        if (!state.InAlarm && state.Peers.Count >= _fanOut)
        {
            state.InAlarm = true;
            var evidence = new List<DetectionEvidence>
            {
                new("distinct_telnet_peers", state.Peers.Count.ToString(CultureInfo.InvariantCulture)),
            };
            evidence.AddRange(state.Peers.Keys.Order(StringComparer.Ordinal).Take(MaxEvidence).Select(p => new DetectionEvidence("peer", p)));
            sink.Raise(DetectionCauses.MiraiLike, Signal, DetectionSeverity.Critical,
                $"telnet connections to {state.Peers.Count} distinct addresses within {_window.TotalMinutes:F0} minutes (scan fan-out)",
                state.Peers.Values.Min(), evidence.ToArray());
        }
        else if (state.InAlarm && state.Peers.Count < _fanOut)
        {
            state.InAlarm = false;
            sink.Clear(DetectionCauses.MiraiLike, Signal);
        }
    }
}

/// <summary>
/// A running process whose executable file is gone: Mirai and most droppers delete their binary after start.
/// Package upgrades cause the same until the service restarts, so paths under <c>ignoredPrefixes</c> are skipped.
/// Raises once per (pid, path).
/// </summary>
public sealed class DeletedExecutableDetector(IReadOnlyList<string>? ignoredPrefixes = null) : Detector<DeletedExecutableDetector.State>
{
    private const string Signal = "deleted-executable";
    private readonly IReadOnlyList<string> _ignored = ignoredPrefixes ?? [];

    public sealed class State
    {
        internal HashSet<(int, string)> Previous = [];
    }

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        if (sample.Report.DeletedExecutables.Count == 0)
        {
            if (state.Previous.Count > 0) state.Previous = [];
            return;
        }
        var current = new HashSet<(int, string)>();
        var fresh = new List<DetectionEvidence>();
        foreach (var p in sample.Report.DeletedExecutables)
        {
            if (_ignored.Any(prefix => p.Path.StartsWith(prefix, StringComparison.Ordinal))) continue;
            if (current.Add((p.Pid, p.Path)) && !state.Previous.Contains((p.Pid, p.Path)))
                fresh.Add(new DetectionEvidence("process", $"{p.Pid} {p.Name} {p.Path}"));
        }
        if (fresh.Count > 0)
        {
            sink.Raise(DetectionCauses.MiraiLike, Signal, DetectionSeverity.High,
                $"{fresh.Count} process(es) running from a deleted executable", sample.SampledAt, fresh.ToArray());
        }
        state.Previous = current;
    }
}

/// <summary>
/// Mirai kills the services on its ports (telnet, SSH, HTTP) and binds those ports itself, so nothing can restart
/// there. Remembers which process last owned each listening port (also after the port went quiet) and raises when
/// another process takes it, or when a process running from a deleted executable listens anywhere.
/// </summary>
public sealed class ListenerTakeoverDetector : Detector<ListenerTakeoverDetector.State>
{
    private const string Signal = "listener-takeover";
    private const int MaxRememberedPorts = 1024;

    public sealed class State
    {
        internal readonly Dictionary<(TransportProtocol, int), string> Owners = [];
        internal HashSet<(TransportProtocol, int, int)> DeletedOwnersRaised = NoDeletedOwners;
    }

    private static readonly HashSet<(TransportProtocol, int, int)> NoDeletedOwners = [];

    public override State CreateState() => new();

    public override void Inspect(TelemetrySample sample, State state, DetectionSink sink)
    {
        List<DetectionEvidence>? evidence = null;
        var deletedPids = sample.Report.DeletedExecutables.Count == 0 ? null : sample.Report.DeletedExecutables.Select(p => p.Pid).ToHashSet();
        HashSet<(TransportProtocol, int, int)>? deletedOwners = null;
        foreach (var l in sample.Report.Listeners)
        {
            if (l.Pid is { } pid && deletedPids is not null && deletedPids.Contains(pid))
            {
                (deletedOwners ??= []).Add((l.Protocol, l.Port, pid));
                if (!state.DeletedOwnersRaised.Contains((l.Protocol, l.Port, pid)))
                    (evidence ??= []).Add(new DetectionEvidence("deleted_executable_listener", $"{PortName(l)} pid {pid} {l.ProcessName}"));
            }
            if (l.ProcessName is not { } owner) continue;
            var key = (l.Protocol, l.Port);
            if (state.Owners.TryGetValue(key, out var previous))
            {
                if (previous != owner)
                {
                    (evidence ??= []).Add(new DetectionEvidence("taken_over", $"{PortName(l)} from {previous} to {owner}"));
                    state.Owners[key] = owner;
                }
            }
            else if (state.Owners.Count < MaxRememberedPorts)
            {
                state.Owners[key] = owner;
            }
        }
        state.DeletedOwnersRaised = deletedOwners ?? NoDeletedOwners;
        if (evidence is not null)
        {
            sink.Raise(DetectionCauses.MiraiLike, Signal, DetectionSeverity.Critical,
                "a listening port was taken over by another process or is held by a deleted executable",
                sample.SampledAt, evidence.ToArray());
        }
    }

    private static string PortName(ListeningSocket l) => $"{(l.Protocol == TransportProtocol.Tcp ? "tcp" : "udp")}/{l.Port}";
}
