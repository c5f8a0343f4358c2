using System.Diagnostics.Metrics;

namespace Fleetward.Server.Detection;

/// <summary>Counters of the ingest and response path, on the server's /metrics.</summary>
public sealed class DetectionMetrics
{
    public const string MeterName = "Fleetward.Detection";

    private readonly Counter<long> _reports;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _incidents;
    private readonly Counter<long> _responses;
    private readonly Counter<long> _commands;

    public DetectionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reports = meter.CreateCounter<long>("fleetward.telemetry.reports", unit: "{report}", description: "Telemetry reports received, by result (scored, stale).");
        _rejected = meter.CreateCounter<long>("fleetward.telemetry.rejected", unit: "{batch}", description: "Telemetry batches refused as invalid, by the field at fault.");
        _rateLimited = meter.CreateCounter<long>("fleetward.telemetry.rate_limited", unit: "{batch}", description: "Telemetry batches refused by the per-device rate limit.");
        _incidents = meter.CreateCounter<long>("fleetward.incidents.opened", unit: "{incident}", description: "Incidents opened, by cause.");
        _responses = meter.CreateCounter<long>("fleetward.responses", unit: "{response}", description: "Responses carried out, by action and mode (automatic, operator).");
        _commands = meter.CreateCounter<long>("fleetward.device_commands.outcomes", unit: "{command}", description: "Device command outcomes reported by devices, by status.");
    }

    public void Reports(string result, int count) => _reports.Add(count, new KeyValuePair<string, object?>("result", result));

    /// <summary>The field's array indexes are dropped (reports[3].cpu_percent → reports[].cpu_percent) to bound label cardinality.</summary>
    public void Rejected(string field) =>
        _rejected.Add(1, new KeyValuePair<string, object?>("field", System.Text.RegularExpressions.Regex.Replace(field, @"\[\d+\]", "[]")));

    public void RateLimited() => _rateLimited.Add(1);

    public void IncidentOpened(string cause) => _incidents.Add(1, new KeyValuePair<string, object?>("cause", cause));

    public void Response(string action, string mode) =>
        _responses.Add(1, new KeyValuePair<string, object?>("action", action), new KeyValuePair<string, object?>("mode", mode));

    public void CommandOutcome(string status) => _commands.Add(1, new KeyValuePair<string, object?>("status", status));
}
