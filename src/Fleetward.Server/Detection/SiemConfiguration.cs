using System.Text.Json;
using System.Text.Json.Nodes;
using Fleetward.Server.Configuration;

namespace Fleetward.Server.Detection;

/// <summary>RFC 5425 syslog over TLS: where to, the CA that signs the receiver, and our client certificate.</summary>
public sealed record SyslogTlsSinkOptions(string Host, int Port, string CaCertificatePath, string ClientCertificatePath, string ClientKeyPath, string HostName);

/// <summary>An HTTPS endpoint that accepts a JSON array of OCSF events per POST, optionally with a bearer token.</summary>
public sealed record WebhookSinkOptions(Uri Url, string? BearerToken);

/// <summary>
/// The optional "siem" section of fleetward.json:
/// <code>
/// "siem": {
///   "syslog": { "host": "siem.example", "port": 6514, "caCertificate": "siem-ca.pem",
///               "clientCertificate": "siem-client.crt", "clientKey": "siem-client.key", "hostName": "fleetward-1" },
///   "webhook": { "url": "https://siem.example/ocsf", "bearerToken": "..." } }
/// </code>
/// Paths are relative to the data directory. Either sink may be left out.
/// </summary>
public sealed record SiemConfiguration(SyslogTlsSinkOptions? Syslog, WebhookSinkOptions? Webhook)
{
    public const string SyslogSink = "syslog";
    public const string WebhookSink = "webhook";

    public static SiemConfiguration None { get; } = new(null, null);

    /// <summary>The sink names events are queued for.</summary>
    public IReadOnlyList<string> Sinks => [.. new[] { Syslog is null ? null : SyslogSink, Webhook is null ? null : WebhookSink }.OfType<string>()];

    /// <exception cref="ConfigurationException">A key is unknown, missing or malformed; the message names it.</exception>
    public static SiemConfiguration Parse(JsonNode? node, DataDirectory directory)
    {
        var file = directory.ConfigurationPath;
        if (node is null) return None;
        var siem = Object(node, "siem", ["syslog", "webhook"], file);
        SyslogTlsSinkOptions? syslog = null;
        if (siem["syslog"] is { } s)
        {
            var o = Object(s, "siem.syslog", ["host", "port", "caCertificate", "clientCertificate", "clientKey", "hostName"], file);
            var port = o["port"] is JsonValue p && p.GetValueKind() == JsonValueKind.Number && p.TryGetValue<int>(out var n) && n is > 0 and < 65536
                ? n : throw new ConfigurationException(file, "siem.syslog.port", "must be an integer from 1 to 65535 (6514 is the RFC 5425 port).");
            syslog = new SyslogTlsSinkOptions(Text(o, "host", "siem.syslog", file), port,
                directory.Resolve(Text(o, "caCertificate", "siem.syslog", file)), directory.Resolve(Text(o, "clientCertificate", "siem.syslog", file)),
                directory.Resolve(Text(o, "clientKey", "siem.syslog", file)), o["hostName"] is null ? Environment.MachineName : Text(o, "hostName", "siem.syslog", file));
        }
        WebhookSinkOptions? webhook = null;
        if (siem["webhook"] is { } w)
        {
            var o = Object(w, "siem.webhook", ["url", "bearerToken"], file);
            var text = Text(o, "url", "siem.webhook", file);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                throw new ConfigurationException(file, "siem.webhook.url", $"must be an https:// URL, got \"{text}\".");
            webhook = new WebhookSinkOptions(url, o["bearerToken"] is null ? null : Text(o, "bearerToken", "siem.webhook", file));
        }
        return new SiemConfiguration(syslog, webhook);
    }

    private static JsonObject Object(JsonNode node, string key, string[] allowed, string file)
    {
        if (node is not JsonObject obj) throw new ConfigurationException(file, key, "must be a JSON object.");
        foreach (var (name, _) in obj)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
                throw new ConfigurationException(file, key + "." + name, $"unknown key; expected one of {string.Join(", ", allowed)}.");
        }
        return obj;
    }

    private static string Text(JsonObject parent, string name, string prefix, string file) =>
        parent[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } text
            ? text
            : throw new ConfigurationException(file, prefix + "." + name, "must be a non-empty string.");
}
