using System.Globalization;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.Telemetry;
using CoreTransport = Fleetward.Core.Telemetry.TransportProtocol;
using WireDeletedExecutable = Fleetward.Core.Telemetry.DeletedExecutableProcess;
using WireGpsFix = Fleetward.Core.Telemetry.GpsFix;

namespace Fleetward.Agent.Runtime;

/// <summary>
/// Turns the raw, cumulative <see cref="SystemSnapshot"/> into the wire <see cref="TelemetryReport"/>: a sequence number
/// that keeps growing across agent restarts (the server drops repeats), the interval since the previous sample,
/// per-interval network counters and everything trimmed to <see cref="TelemetryLimits"/> so the server never has to
/// refuse a report for its size. One mapper per device, used by one caller at a time.
/// </summary>
public sealed class TelemetryReportMapper(string deviceId, string sequenceFile, TimeSpan firstInterval)
{
    private SystemSnapshot? previous;
    private long? lastSequence;

    /// <param name="integrityFailures">Integrity checks that failed since the previous sample.</param>
    /// <param name="installFailures">Installs that failed or rolled back since the previous sample.</param>
    public TelemetryReport Map(SystemSnapshot snapshot, IReadOnlyList<AgentFailure> integrityFailures, IReadOnlyList<AgentFailure> installFailures)
    {
        var sequence = NextSequence();
        var interval = previous is null ? firstInterval : snapshot.CollectedAt - previous.CollectedAt;
        var traffic = snapshot.ExternalTraffic;
        var before = previous?.ExternalTraffic;
        var report = new TelemetryReport
        {
            DeviceId = deviceId,
            Sequence = sequence,
            SampledAt = snapshot.CollectedAt,
            // A clock step backwards (NTP) must not make the report invalid: the interval is at least a millisecond.
            IntervalSeconds = Math.Clamp(interval.TotalSeconds, 0.001, TelemetryLimits.MaxIntervalSeconds),
            CpuPercent = Math.Clamp((snapshot.CpuUsage ?? 0) * 100, 0, 100),
            MemoryTotalBytes = Math.Max(1, ToLong(snapshot.Memory.TotalBytes)),
            MemoryUsedBytes = Math.Min(ToLong(snapshot.Memory.UsedBytes), Math.Max(1, ToLong(snapshot.Memory.TotalBytes))),
            Network = new NetworkCounters
            {
                BytesIn = Delta(traffic.ReceivedBytes, before?.ReceivedBytes),
                BytesOut = Delta(traffic.SentBytes, before?.SentBytes),
                PacketsIn = Delta(traffic.ReceivedPackets, before?.ReceivedPackets),
                PacketsOut = Delta(traffic.SentPackets, before?.SentPackets),
            },
            TcpConnections = snapshot.EstablishedConnections
                .Where(c => c.Remote.Port is > 0 and <= 65535)
                .Take(TelemetryLimits.MaxTcpConnections)
                .Select(c => new TcpConnection
                {
                    RemoteAddress = c.Remote.Address.ToString(),
                    RemotePort = c.Remote.Port,
                    State = c.State == SocketEntry.TcpSynSent ? TcpConnectionState.SynSent : TcpConnectionState.Established,
                })
                .ToList(),
            Listeners = snapshot.Listeners
                .Where(l => l.Local.Port is > 0 and <= 65535)
                // The same port bound on IPv4 and IPv6 is one listener to an operator.
                .Select(l => (Protocol: l.Protocol == Telemetry.TransportProtocol.Tcp ? CoreTransport.Tcp : CoreTransport.Udp, l.Local.Port,
                    Owner: snapshot.Processes.SocketOwners.GetValueOrDefault(l.Inode)))
                .DistinctBy(l => (l.Protocol, l.Port))
                .Take(TelemetryLimits.MaxListeners)
                .Select(l => new ListeningSocket { Protocol = l.Protocol, Port = l.Port, Pid = l.Owner?.Pid, ProcessName = l.Owner?.Name })
                .ToList(),
            ProcessCount = snapshot.Processes.ProcessCount,
            DeletedExecutables = snapshot.Processes.DeletedExecutables
                .Where(p => p.Pid > 0 && p.ExecutablePath.Length > 0)
                .Take(TelemetryLimits.MaxDeletedExecutables)
                .Select(p => new WireDeletedExecutable
                {
                    Pid = p.Pid,
                    Name = Trim(p.Name.Length == 0 ? "?" : p.Name, TelemetryLimits.MaxProcessNameLength),
                    Path = Trim(p.ExecutablePath, TelemetryLimits.MaxPathLength),
                })
                .ToList(),
            UptimeSeconds = Math.Max(0, snapshot.Uptime.TotalSeconds),
            BootCount = Math.Max(0, snapshot.Reboots.Reboots),
            IntegrityFailures = Failures(integrityFailures),
            InstallFailures = Failures(installFailures),
            Sensors = Sensors(snapshot.Sensors),
        };
        previous = snapshot;
        return report;
    }

    /// <summary>Counters are cumulative since boot; one that went down was reset (reboot, interface re-created) and counts from zero.</summary>
    public static long Delta(ulong current, ulong? before) =>
        ToLong(before is { } earlier && current >= earlier ? current - earlier : before is null ? 0 : current);

    private long NextSequence()
    {
        lastSequence ??= File.Exists(sequenceFile)
            ? long.TryParse(File.ReadAllText(sequenceFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var stored)
                ? stored
                : throw new FormatException($"{sequenceFile}: expected the last telemetry sequence number")
            : -1;
        var next = lastSequence.Value + 1;
        // Persisted before use: after a crash the next report gets a higher number, never a repeat the server would drop.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(sequenceFile))!);
        DurableFile.WriteAllText(sequenceFile, next.ToString(CultureInfo.InvariantCulture) + "\n");
        lastSequence = next;
        return next;
    }

    private static List<AgentFailure> Failures(IReadOnlyList<AgentFailure> failures) =>
        failures
            .TakeLast(TelemetryLimits.MaxAgentFailures)
            .Select(f => new AgentFailure
            {
                Subject = Trim(f.Subject.Length == 0 ? "agent" : f.Subject, TelemetryLimits.MaxFailureTextLength),
                Reason = Trim(f.Reason, TelemetryLimits.MaxFailureTextLength),
            })
            .ToList();

    private static RobotSensors? Sensors(SensorReadings readings)
    {
        if (readings.Position is null && readings.TamperOpen is null && readings.PowerDrawWatts is null)
        {
            return null;
        }
        return new RobotSensors
        {
            Gps = readings.Position is { } fix && fix.Latitude is >= -90 and <= 90 && fix.Longitude is >= -180 and <= 180
                ? new WireGpsFix
                {
                    Latitude = fix.Latitude,
                    Longitude = fix.Longitude,
                    // A fix without an accuracy is treated as the least accurate one, so detectors never read noise as movement.
                    AccuracyMeters = Math.Clamp(fix.AccuracyMeters ?? TelemetryLimits.MaxGpsAccuracyMeters, 0, TelemetryLimits.MaxGpsAccuracyMeters),
                }
                : null,
            TamperOpen = readings.TamperOpen,
            PowerWatts = readings.PowerDrawWatts is { } watts ? Math.Clamp(watts, 0, TelemetryLimits.MaxPowerWatts) : null,
        };
    }

    private static long ToLong(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static string Trim(string text, int max) => text.Length <= max ? text : text[..max];
}
