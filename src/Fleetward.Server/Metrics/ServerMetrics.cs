using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Fleetward.Server.Metrics;

/// <summary>
/// The server's own instruments. Created from the host's <see cref="IMeterFactory"/>, so each
/// server instance has its own meter scope and its /metrics shows only its own measurements even
/// when several servers share a process (tests, the demo).
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "Fleetward.Server";

    /// <summary>Prometheus-style latency buckets in seconds.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> requests;
    private readonly Histogram<double> requestDuration;
    private readonly Counter<long> accessRefusals;
    private readonly Counter<long> deviceHandshakeRefusals;

    public ServerMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        var meter = meterFactory.Create(MeterName);
        requests = meter.CreateCounter<long>("fleetward.http.server.requests", unit: "{request}",
            description: "HTTP requests handled, by listener, method, route template and status code.");
        requestDuration = meter.CreateHistogram<double>("fleetward.http.server.request.duration", unit: "s",
            description: "Time to handle an HTTP request, by listener, method, route template and status code.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        accessRefusals = meter.CreateCounter<long>("fleetward.operator.access.refusals", unit: "{refusal}",
            description: "Operator requests refused by authentication or authorization, by reason.");
        deviceHandshakeRefusals = meter.CreateCounter<long>("fleetward.device.tls.refusals", unit: "{handshake}",
            description: "Device TLS handshakes whose client certificate was refused.");
        var started = time.GetUtcNow();
        meter.CreateObservableGauge("fleetward.server.uptime", () => (time.GetUtcNow() - started).TotalSeconds, unit: "s",
            description: "Seconds since this server instance started.");
    }

    public void RequestHandled(string listener, string method, string route, int status, TimeSpan duration)
    {
        var tags = new TagList
        {
            { "listener", listener },
            { "method", method },
            { "route", route },
            { "status", status },
        };
        requests.Add(1, tags);
        requestDuration.Record(duration.TotalSeconds, tags);
    }

    public void AccessRefused(string reason) => accessRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DeviceHandshakeRefused() => deviceHandshakeRefusals.Add(1);
}
