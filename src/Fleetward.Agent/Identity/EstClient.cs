using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleetward.Trust.Pki;

namespace Fleetward.Agent.Identity;

/// <summary>The server's answer to an enrollment: the certificate, or (manual approval) when to ask again (RFC 7030 4.2.3).</summary>
public sealed record EstEnrollment(X509Certificate2? Certificate, TimeSpan? RetryAfter);

/// <summary>The EST server refused; <see cref="Code"/> is the problem's stable code (e.g. est.token_used).</summary>
public sealed class EstRefusedException(HttpStatusCode status, string code, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>An RFC 7030 client over a caller-made HttpClient (which carries the TLS trust and any client certificate).</summary>
public sealed class EstClient(HttpClient http)
{
    public async Task<IReadOnlyList<X509Certificate2>> CaCertsAsync(CancellationToken cancellationToken)
    {
        var body = await http.GetStringAsync(".well-known/est/cacerts", cancellationToken);
        var certificates = EstWireFormat.DecodeCertsOnly(Convert.FromBase64String(body));
        return certificates.IsSuccess ? certificates.Value : throw new InvalidDataException($"cacerts: {certificates.Error.Message}");
    }

    /// <summary>RFC 7030 4.2.1; with <paramref name="deviceId"/>/<paramref name="token"/> as HTTP Basic, else the TLS client certificate authenticates.</summary>
    public Task<EstEnrollment> SimpleEnrollAsync(byte[] csr, string? deviceId, string? token, CancellationToken cancellationToken) =>
        PostAsync(".well-known/est/simpleenroll", csr, deviceId is null ? null : new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(deviceId + ":" + token))), cancellationToken);

    /// <summary>RFC 7030 4.2.2, authenticated by the current certificate on the connection.</summary>
    public Task<EstEnrollment> SimpleReenrollAsync(byte[] csr, CancellationToken cancellationToken) =>
        PostAsync(".well-known/est/simplereenroll", csr, null, cancellationToken);

    private async Task<EstEnrollment> PostAsync(string path, byte[] csr, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(EstWireFormat.EncodeBase64(csr), Encoding.ASCII) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(EstWireFormat.Pkcs10MediaType);
        request.Headers.Authorization = authorization;
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return new EstEnrollment(null, response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(60));
        }

        if (!response.IsSuccessStatusCode)
        {
            var code = "http-" + (int)response.StatusCode;
            try
            {
                code = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("code").GetString() ?? code;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
            }

            throw new EstRefusedException(response.StatusCode, code, $"{path}: {(int)response.StatusCode} {code}: {body}");
        }

        var certificates = EstWireFormat.DecodeCertsOnly(Convert.FromBase64String(body));
        if (!certificates.IsSuccess || certificates.Value.Count != 1)
        {
            throw new InvalidDataException($"{path}: the response is not a certs-only PKCS#7 with one certificate.");
        }

        return new EstEnrollment(certificates.Value[0], null);
    }
}
