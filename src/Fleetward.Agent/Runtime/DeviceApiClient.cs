using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fleetward.Agent.Telemetry;
using Fleetward.Core.DeviceApi;

namespace Fleetward.Agent.Runtime;

/// <summary>
/// The server refused a device call or answered with an unexpected status. The server speaks RFC 9457 problem
/// details: <see cref="Code"/> is the problem's stable <c>code</c> member (or <c>http-NNN</c> when the body is not a
/// problem), so the agent decides on codes, never on message text.
/// </summary>
public sealed class DeviceApiException(HttpStatusCode status, string code, string detail, string? field, TimeSpan? retryAfter, string operation)
    : Exception($"{operation}: {(int)status} {code}: {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public string Code { get; } = code;

    public string Detail { get; } = detail;

    /// <summary>The request field the problem names (JSON path), when it names one.</summary>
    public string? Field { get; } = field;

    /// <summary>How long the server asked the device to wait (Retry-After on 429 and 503).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Typed client for the device endpoints of the server, over an HttpClient that carries the device's mutual TLS
/// identity (<see cref="Identity.DeviceTlsClient"/>). JSON bodies use System.Text.Json's web defaults (camelCase), as
/// the server's JsonBody does; telemetry uses the snake_case <see cref="Core.Telemetry.TelemetryCodec"/> format.
/// </summary>
public sealed class DeviceApiClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>POST /device/v1/check-in.</summary>
    public Task<CheckInAnswer> CheckInAsync(CheckInReport report, CancellationToken cancellationToken) =>
        SendAsync<CheckInAnswer>(HttpMethod.Post, "device/v1/check-in", JsonContent(report), "check-in", cancellationToken);

    /// <summary>
    /// POST /device/v1/telemetry with already encoded reports (each one <see cref="Core.Telemetry.TelemetryCodec"/> JSON
    /// object, in sequence order), joined into one <see cref="Core.Telemetry.TelemetryBatch"/> without re-parsing them.
    /// </summary>
    public Task<IngestReceipt> SendTelemetryAsync(IReadOnlyList<byte[]> encodedReports, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(encodedReports.Count, nameof(encodedReports));
        var body = new MemoryStream();
        body.Write("{\"reports\":["u8);
        for (var i = 0; i < encodedReports.Count; i++)
        {
            if (i > 0)
            {
                body.WriteByte((byte)',');
            }
            body.Write(encodedReports[i]);
        }
        body.Write("]}"u8);
        var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return SendAsync<IngestReceipt>(HttpMethod.Post, "device/v1/telemetry", content, "telemetry", cancellationToken);
    }

    /// <summary>GET /device/v1/commands: the commands outstanding for this device.</summary>
    public Task<CommandBatch> GetCommandsAsync(CancellationToken cancellationToken) =>
        SendAsync<CommandBatch>(HttpMethod.Get, "device/v1/commands", null, "commands", cancellationToken);

    /// <summary>POST /device/v1/commands/{id}/outcome.</summary>
    public async Task ReportCommandOutcomeAsync(string commandId, CommandOutcomeReport report, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(HttpMethod.Post, $"device/v1/commands/{Uri.EscapeDataString(commandId)}/outcome", JsonContent(report),
            "command outcome", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /device/v1/forensics/{commandId}: the forensic bundle for an outstanding upload-forensics command.</summary>
    public async Task UploadForensicsAsync(string commandId, byte[] bundle, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(bundle);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendRawAsync(HttpMethod.Post, $"device/v1/forensics/{Uri.EscapeDataString(commandId)}", content, "forensics",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET /device/v1/command-key: the server command key the device pins.</summary>
    public Task<CommandKeyView> GetCommandKeyAsync(CancellationToken cancellationToken) =>
        SendAsync<CommandKeyView>(HttpMethod.Get, "device/v1/command-key", null, "command-key", cancellationToken);

    private static HttpContent JsonContent<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, Json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, string operation, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, operation, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json)
                ?? throw new InvalidDataException($"{operation}: the server answered null");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{operation}: the server's answer is not a valid {typeof(T).Name}: {error.Message}", error);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, string operation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw ToException(response, body, operation);
        }
    }

    /// <summary>RFC 9457 section 3: detail and the extension members code and field, when the body is a problem document.</summary>
    private static DeviceApiException ToException(HttpResponseMessage response, string body, string operation)
    {
        var code = "http-" + (int)response.StatusCode;
        var detail = body.Length > 512 ? body[..512] : body;
        string? field = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                code = Text(document.RootElement, "code") ?? code;
                detail = Text(document.RootElement, "detail") ?? Text(document.RootElement, "title") ?? detail;
                field = Text(document.RootElement, "field");
            }
        }
        catch (JsonException)
        {
        }
        return new DeviceApiException(response.StatusCode, code, detail, field, RetryAfterOf(response), operation);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>RFC 9110 10.2.3: the server sends delay-seconds; an HTTP-date would need the wall clock, so it is not honoured.</summary>
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter?.Delta;
}

/// <summary>Delivers buffered telemetry to POST /device/v1/telemetry; a refusal throws <see cref="DeviceApiException"/> so the batch stays buffered.</summary>
public sealed class HttpTelemetrySink(DeviceApiClient client) : ITelemetrySink
{
    /// <summary>The last receipt, for status and tests.</summary>
    public IngestReceipt? LastReceipt { get; private set; }

    public async Task<bool> SendAsync(IReadOnlyList<byte[]> reports, CancellationToken cancellationToken)
    {
        LastReceipt = await client.SendTelemetryAsync(reports, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
