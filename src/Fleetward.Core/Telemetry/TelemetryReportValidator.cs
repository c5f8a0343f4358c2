using System.Net;

namespace Fleetward.Core.Telemetry;

/// <summary>A rule a report broke, naming the field by its JSON path (e.g. <c>tcp_connections[3].remote_port</c>).</summary>
public sealed record TelemetryValidationError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// Checks a decoded report against the value ranges and <see cref="TelemetryLimits"/>. Detectors assume a valid
/// report, so ingest runs this first and refuses the report with the first error.
/// </summary>
public static class TelemetryReportValidator
{
    /// <summary>Returns null when the report is valid, otherwise the first rule it breaks.</summary>
    public static TelemetryValidationError? Validate(TelemetryReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ValidateIdentity(report, now)
            ?? ValidateResources(report)
            ?? ValidateConnections(report.TcpConnections)
            ?? ValidateListeners(report.Listeners)
            ?? ValidateProcesses(report)
            ?? ValidateFailures("integrity_failures", report.IntegrityFailures)
            ?? ValidateFailures("install_failures", report.InstallFailures)
            ?? ValidateSensors(report.Sensors);
    }

    /// <summary>True for the device id alphabet: ASCII letters, digits and <c>. _ : -</c>, 1 to 128 characters.</summary>
    public static bool IsValidDeviceId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > TelemetryLimits.MaxDeviceIdLength) return false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')) return false;
        }
        return true;
    }

    private static TelemetryValidationError? ValidateIdentity(TelemetryReport r, DateTimeOffset now)
    {
        if (!IsValidDeviceId(r.DeviceId))
            return new("device_id", $"must be 1-{TelemetryLimits.MaxDeviceIdLength} characters of A-Z a-z 0-9 . _ : -");
        if (r.Sequence < 0) return new("sequence", "must not be negative");
        if (r.SampledAt > now + TelemetryLimits.MaxFutureSkew)
            return new("sampled_at", $"is more than {TelemetryLimits.MaxFutureSkew.TotalMinutes} minutes in the future");
        if (!(r.IntervalSeconds > 0 && r.IntervalSeconds <= TelemetryLimits.MaxIntervalSeconds))
            return new("interval_seconds", $"must be greater than 0 and at most {TelemetryLimits.MaxIntervalSeconds}");
        return null;
    }

    private static TelemetryValidationError? ValidateResources(TelemetryReport r)
    {
        if (!(r.CpuPercent >= 0 && r.CpuPercent <= 100)) return new("cpu_percent", "must be between 0 and 100");
        if (r.MemoryTotalBytes <= 0) return new("memory_total_bytes", "must be positive");
        if (r.MemoryUsedBytes < 0 || r.MemoryUsedBytes > r.MemoryTotalBytes)
            return new("memory_used_bytes", "must be between 0 and memory_total_bytes");
        if (r.Network is null) return new("network", "is required");
        if (r.Network.BytesIn < 0) return new("network.bytes_in", "must not be negative");
        if (r.Network.BytesOut < 0) return new("network.bytes_out", "must not be negative");
        if (r.Network.PacketsIn < 0) return new("network.packets_in", "must not be negative");
        if (r.Network.PacketsOut < 0) return new("network.packets_out", "must not be negative");
        if (r.ProcessCount < 0) return new("process_count", "must not be negative");
        if (!(r.UptimeSeconds >= 0)) return new("uptime_seconds", "must not be negative");
        if (r.BootCount < 0) return new("boot_count", "must not be negative");
        return null;
    }

    private static TelemetryValidationError? ValidateConnections(IReadOnlyList<TcpConnection>? list)
    {
        if (list is null) return new("tcp_connections", "must be an array, not null");
        if (list.Count > TelemetryLimits.MaxTcpConnections)
            return new("tcp_connections", $"has more than {TelemetryLimits.MaxTcpConnections} entries");
        for (var i = 0; i < list.Count; i++)
        {
            var c = list[i];
            if (c is null) return new($"tcp_connections[{i}]", "must not be null");
            if (c.RemoteAddress is null || c.RemoteAddress.Length > 64 || !IPAddress.TryParse(c.RemoteAddress, out _))
                return new($"tcp_connections[{i}].remote_address", "must be an IPv4 or IPv6 address");
            if (c.RemotePort is < 1 or > 65535) return new($"tcp_connections[{i}].remote_port", "must be 1-65535");
            if (!Enum.IsDefined(c.State)) return new($"tcp_connections[{i}].state", "is not a known state");
        }
        return null;
    }

    private static TelemetryValidationError? ValidateListeners(IReadOnlyList<ListeningSocket>? list)
    {
        if (list is null) return new("listeners", "must be an array, not null");
        if (list.Count > TelemetryLimits.MaxListeners)
            return new("listeners", $"has more than {TelemetryLimits.MaxListeners} entries");
        for (var i = 0; i < list.Count; i++)
        {
            var l = list[i];
            if (l is null) return new($"listeners[{i}]", "must not be null");
            if (!Enum.IsDefined(l.Protocol)) return new($"listeners[{i}].protocol", "must be tcp or udp");
            if (l.Port is < 1 or > 65535) return new($"listeners[{i}].port", "must be 1-65535");
            if (l.Pid is <= 0) return new($"listeners[{i}].pid", "must be positive");
            if (l.ProcessName is { Length: > TelemetryLimits.MaxProcessNameLength })
                return new($"listeners[{i}].process_name", $"is longer than {TelemetryLimits.MaxProcessNameLength} characters");
        }
        return null;
    }

    private static TelemetryValidationError? ValidateProcesses(TelemetryReport r)
    {
        var list = r.DeletedExecutables;
        if (list is null) return new("deleted_executables", "must be an array, not null");
        if (list.Count > TelemetryLimits.MaxDeletedExecutables)
            return new("deleted_executables", $"has more than {TelemetryLimits.MaxDeletedExecutables} entries");
        for (var i = 0; i < list.Count; i++)
        {
            var p = list[i];
            if (p is null) return new($"deleted_executables[{i}]", "must not be null");
            if (p.Pid <= 0) return new($"deleted_executables[{i}].pid", "must be positive");
            if (string.IsNullOrEmpty(p.Name) || p.Name.Length > TelemetryLimits.MaxProcessNameLength)
                return new($"deleted_executables[{i}].name", $"must be 1-{TelemetryLimits.MaxProcessNameLength} characters");
            if (string.IsNullOrEmpty(p.Path) || p.Path.Length > TelemetryLimits.MaxPathLength)
                return new($"deleted_executables[{i}].path", $"must be 1-{TelemetryLimits.MaxPathLength} characters");
        }
        return null;
    }

    private static TelemetryValidationError? ValidateFailures(string field, IReadOnlyList<AgentFailure>? list)
    {
        if (list is null) return new(field, "must be an array, not null");
        if (list.Count > TelemetryLimits.MaxAgentFailures)
            return new(field, $"has more than {TelemetryLimits.MaxAgentFailures} entries");
        for (var i = 0; i < list.Count; i++)
        {
            var f = list[i];
            if (f is null) return new($"{field}[{i}]", "must not be null");
            if (string.IsNullOrEmpty(f.Subject) || f.Subject.Length > TelemetryLimits.MaxFailureTextLength)
                return new($"{field}[{i}].subject", $"must be 1-{TelemetryLimits.MaxFailureTextLength} characters");
            if (f.Reason is null || f.Reason.Length > TelemetryLimits.MaxFailureTextLength)
                return new($"{field}[{i}].reason", $"must be at most {TelemetryLimits.MaxFailureTextLength} characters");
        }
        return null;
    }

    private static TelemetryValidationError? ValidateSensors(RobotSensors? s)
    {
        if (s is null) return null;
        if (s.PowerWatts is { } w && !(w >= 0 && w <= TelemetryLimits.MaxPowerWatts))
            return new("sensors.power_watts", $"must be between 0 and {TelemetryLimits.MaxPowerWatts}");
        if (s.Gps is { } g)
        {
            if (!(g.Latitude >= -90 && g.Latitude <= 90)) return new("sensors.gps.latitude", "must be between -90 and 90");
            if (!(g.Longitude >= -180 && g.Longitude <= 180)) return new("sensors.gps.longitude", "must be between -180 and 180");
            if (!(g.AccuracyMeters >= 0 && g.AccuracyMeters <= TelemetryLimits.MaxGpsAccuracyMeters))
                return new("sensors.gps.accuracy_meters", $"must be between 0 and {TelemetryLimits.MaxGpsAccuracyMeters}");
        }
        return null;
    }
}
