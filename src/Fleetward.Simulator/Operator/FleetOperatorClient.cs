using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Simulator.Operator;

/// <summary>A refusal or failure of the operator API: the HTTP status and the RFC 9457 problem's code and detail.</summary>
public sealed class OperatorApiCallException(HttpStatusCode status, string code, string detail, string request)
    : Exception($"{request}: {(int)status} {code}: {detail}")
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
    public string Detail { get; } = detail;
}

/// <summary>An incident as the operator API lists it (the fields the simulator and drills read).</summary>
public sealed record IncidentInfo(string Id, string DeviceId, string Cause, string Severity, string Status, string Summary, DateTimeOffset DetectedAt);

/// <summary>A signed release as the operator API lists it.</summary>
public sealed record ReleaseInfo(string Id, string Version, long SecurityVersion, string Channel, string State, string TargetPath, IReadOnlyList<string> Hardware);

/// <summary>
/// The operator API calls the simulator and its drills make, as an operator would with the CLI: register a factory
/// line (enrollment group), mint one-time tokens, revoke a device, read devices, incidents and releases, start a
/// rollout. Needs a token with the provisioner role for enrollment and operator (or higher) for the rest.
/// </summary>
public sealed class FleetOperatorClient(HttpClient http) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A client for <paramref name="server"/> with a bearer token; when <paramref name="trustedCertificate"/> is given the
    /// server's certificate must be it or chain to it (the operator-ca.pem that `fleetward init` writes), else the
    /// system trust store decides.
    /// </summary>
    public static FleetOperatorClient Create(Uri server, string token, X509Certificate2? trustedCertificate)
    {
        var handler = new SocketsHttpHandler();
        if (trustedCertificate is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, sent, _) =>
            {
                if (presented is null) return false;
                using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                if (leaf.RawDataMemory.Span.SequenceEqual(trustedCertificate.RawDataMemory.Span)) return true;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedCertificate);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.DisableCertificateDownloads = true;
                if (sent is not null) chain.ChainPolicy.ExtraStore.AddRange(sent.ChainElements.Select(e => e.Certificate).ToArray());
                return chain.Build(leaf);
            };
        }
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return new FleetOperatorClient(client);
    }

    /// <summary>Registers a factory line: devices presenting a certificate from <paramref name="factoryCaPem"/> enroll as <paramref name="model"/>.</summary>
    public Task CreateFactoryGroupAsync(string name, string model, string factoryCaPem, TimeSpan certificateLifetime, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/groups", new
        {
            name, model, factoryCaPem, tags = new[] { "simulated" }, certLifetimeSeconds = (long)certificateLifetime.TotalSeconds, approval = "auto",
        }, cancellationToken);

    /// <summary>Creates a token-mode enrollment group for <paramref name="model"/>.</summary>
    public Task CreateTokenGroupAsync(string name, string model, TimeSpan certificateLifetime, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/groups", new
        {
            name, model, tags = new[] { "simulated" }, certLifetimeSeconds = (long)certificateLifetime.TotalSeconds, approval = "auto",
        }, cancellationToken);

    /// <summary>Mints a one-time enrollment token bound to <paramref name="deviceId"/>.</summary>
    public async Task<string> CreateEnrollmentTokenAsync(string group, string deviceId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Post, $"api/v1/groups/{Uri.EscapeDataString(group)}/tokens",
            new { deviceId, expiresInSeconds = (long)lifetime.TotalSeconds }, cancellationToken);
        return answer!["token"]!.GetValue<string>();
    }

    /// <summary>The group names that exist, so a rerun against the same server reuses its factory lines.</summary>
    public async Task<IReadOnlyList<string>> ListGroupNamesAsync(CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Get, "api/v1/groups", null, cancellationToken);
        return [.. answer!.AsArray().Select(g => g!["name"]!.GetValue<string>())];
    }

    /// <summary>Revokes every certificate of the device (it must re-enroll to talk to the server again).</summary>
    public Task RevokeDeviceAsync(string deviceId, string reason, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/v1/devices/{Uri.EscapeDataString(deviceId)}/revoke", new { reason }, cancellationToken);

    /// <summary>Sets the device's geofence to one circle (replacing any fence the device had).</summary>
    public Task SetDeviceGeofenceAsync(string deviceId, string name, double latitude, double longitude, double radiusMeters, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, $"api/v1/geofences/devices/{Uri.EscapeDataString(deviceId)}",
            new { areas = new[] { new { name, circle = new { latitude, longitude, radiusMeters } } } }, cancellationToken);

    /// <summary>The device's lifecycle state (active, quarantined, ...), or null when the server does not know it.</summary>
    public async Task<string?> DeviceStateAsync(string deviceId, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await SendAsync(HttpMethod.Get, $"api/v1/devices/{Uri.EscapeDataString(deviceId)}", null, cancellationToken);
            return answer!["state"]!.GetValue<string>();
        }
        catch (OperatorApiCallException refused) when (refused.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Incidents, newest first (at most <paramref name="limit"/>), optionally of one device and only open ones.</summary>
    public async Task<IReadOnlyList<IncidentInfo>> IncidentsAsync(string? deviceId, bool openOnly, int limit, CancellationToken cancellationToken)
    {
        var query = $"api/v1/incidents?limit={limit}" + (openOnly ? "&open=true" : "") + (deviceId is null ? "" : $"&device={Uri.EscapeDataString(deviceId)}");
        var answer = await SendAsync(HttpMethod.Get, query, null, cancellationToken);
        return answer!["items"]!.Deserialize<List<IncidentInfo>>(Json)!;
    }

    public async Task<IReadOnlyList<ReleaseInfo>> ReleasesAsync(CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Get, "api/v1/releases", null, cancellationToken);
        return answer!["items"]!.Deserialize<List<ReleaseInfo>>(Json)!;
    }

    /// <summary>
    /// Creates and starts a rollout of <paramref name="release"/> to exactly <paramref name="deviceIds"/> (those of the release's
    /// first hardware model) through rings at
    /// the given cumulative percentages, aborting once <paramref name="abortAtFailedPercent"/> of finished installs fail;
    /// returns the rollout id.
    /// </summary>
    public async Task<string> StartRolloutAsync(ReleaseInfo release, IReadOnlyList<string> deviceIds, IReadOnlyList<decimal> ringPercents,
        decimal abortAtFailedPercent, CancellationToken cancellationToken)
    {
        var created = await SendAsync(HttpMethod.Post, "api/v1/rollouts", new
        {
            // The server resolves the rest from its signed catalogue and wants the model the release is built for.
            release = new { id = release.Id },
            rings = ringPercents.Select(p => new { cumulativePercent = p }).ToArray(),
            selection = new { model = release.Hardware.FirstOrDefault(), deviceIds },
            errorThreshold = new { failedPercent = abortAtFailedPercent, minimumFinished = 1, action = "abort" },
        }, cancellationToken);
        var id = created!["id"]!.GetValue<string>();
        await SendAsync(HttpMethod.Post, $"api/v1/rollouts/{Uri.EscapeDataString(id)}/start", null, cancellationToken);
        return id;
    }

    /// <summary>The rollout's status (draft, running, paused, completed, aborted, ...) and the reason the server gives.</summary>
    public async Task<(string Status, string? Reason)> RolloutStatusAsync(string rolloutId, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Get, $"api/v1/rollouts/{Uri.EscapeDataString(rolloutId)}", null, cancellationToken);
        return (answer!["status"]!.GetValue<string>(), answer["statusReason"]?.GetValue<string>());
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string code = $"http-{(int)response.StatusCode}", detail = text;
            try
            {
                if (JsonNode.Parse(text) is JsonObject problem)
                {
                    code = problem["code"]?.GetValue<string>() ?? code;
                    detail = problem["detail"]?.GetValue<string>() ?? problem["title"]?.GetValue<string>() ?? text;
                }
            }
            catch (JsonException)
            {
                // Not a problem document: keep the raw body as the detail.
            }
            throw new OperatorApiCallException(response.StatusCode, code, detail, $"{method} /{path}");
        }
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public void Dispose() => http.Dispose();
}
