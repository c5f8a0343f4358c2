using Fleetward.Core.Ports;
using Fleetward.Core.Siem;

namespace Fleetward.Server.Detection;

/// <summary>
/// Queues OCSF events for every configured SIEM sink in the caller's unit of work, so an event exists exactly when
/// the change it reports committed. The exporters deliver from the outbox.
/// </summary>
public sealed class SiemOutboxWriter(DetectionServerOptions options)
{
    public async Task EnqueueAsync(IFleetUnitOfWork work, OcsfEvent ocsfEvent, CancellationToken cancellationToken)
    {
        foreach (var sink in options.SiemSinks)
        {
            await work.SiemOutbox.EnqueueAsync(sink, SiemEventEnvelope.Write(ocsfEvent), ocsfEvent.Time, cancellationToken);
        }
    }
}

/// <summary>
/// How an <see cref="OcsfEvent"/> is kept in the outbox: the header fields transports need (syslog PRI, MSGID,
/// structured data) beside the OCSF JSON body, so the exporter rebuilds the event without reparsing OCSF.
/// </summary>
public static class SiemEventEnvelope
{
    public static string Write(OcsfEvent e) => new System.Text.Json.Nodes.JsonObject
    {
        ["class_uid"] = e.ClassUid,
        ["activity_id"] = e.ActivityId,
        ["severity_id"] = (int)e.Severity,
        ["device_uid"] = e.DeviceUid,
        ["time"] = e.Time.ToUnixTimeMilliseconds(),
        ["ocsf"] = e.Json,
    }.ToJsonString();

    public static OcsfEvent Read(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json) ?? throw new FormatException("siem outbox entry: empty");
        return new OcsfEvent(
            (int)node["class_uid"]!,
            (int)node["activity_id"]!,
            (Core.Detection.DetectionSeverity)(int)node["severity_id"]!,
            (string)node["device_uid"]!,
            DateTimeOffset.FromUnixTimeMilliseconds((long)node["time"]!),
            (string)node["ocsf"]!);
    }
}
