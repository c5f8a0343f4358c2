using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands;

/// <summary>
/// HTTP client for the operator API. With a CA file, the server must present exactly one of its
/// certificates (pinning) or a chain ending in one of them for the requested host; nothing else is
/// trusted, and there is no switch to trust everything.
/// </summary>
public sealed class OperatorApiClient : IDisposable
{
    private readonly HttpClient http;

    public OperatorApiClient(OperatorConnection connection)
    {
        http = CreateHttpClient(connection);
    }

    /// <summary>
    /// The one way the CLI builds an HTTP client for the operator API: bearer token, JSON, and the server certificate
    /// pinned to the CA file when one is given. Other clients (the audit verifier) reuse it.
    /// </summary>
    public static HttpClient CreateHttpClient(OperatorConnection connection, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler();
        if (connection.CaFile is not null)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(connection.CaFile);
            if (trusted.Count == 0)
            {
                throw new UsageException($"--ca-file {connection.CaFile} holds no PEM certificate.");
            }
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, handshakeChain, errors) =>
                certificate is not null && ServerCertificateTrust.IsTrusted(
                    X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), errors, trusted,
                    handshakeChain?.ChainElements.Select(element => element.Certificate));
        }
        var http = new HttpClient(handler) { BaseAddress = connection.Server, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.Token);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    /// <summary>Sends a request and returns the response body (JSON text, empty for 204).</summary>
    /// <exception cref="OperatorApiException">The server answered with a problem.</exception>
    public async Task<string> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonBody.Options), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return text;
        }
        throw OperatorApiException.From(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    /// <summary>Sends a raw body (an artifact, a signed metadata file kept byte for byte) and returns the response body.</summary>
    /// <exception cref="OperatorApiException">The server answered with a problem.</exception>
    public async Task<byte[]> SendBytesAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        using var response = await http.SendAsync(request, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return bytes;
        }
        throw OperatorApiException.From(response.StatusCode, response.Content.Headers.ContentType?.MediaType, Encoding.UTF8.GetString(bytes));
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<T>(await SendAsync(HttpMethod.Get, path, null, cancellationToken), JsonBody.Options)!;

    public void Dispose() => http.Dispose();
}

/// <summary>The server's certificate decision for operator clients, separate from I/O so each rule is testable.</summary>
public static class ServerCertificateTrust
{
    /// <param name="intermediates">Certificates the server sent in the handshake; used only as path candidates, never as anchors.</param>
    public static bool IsTrusted(X509Certificate2 presented, SslPolicyErrors errors, X509Certificate2Collection trusted, IEnumerable<X509Certificate2>? intermediates = null)
    {
        // Pinning: the exact certificate from the CA file (the self-signed operator certificate init wrote).
        foreach (var pinned in trusted)
        {
            if (presented.RawData.AsSpan().SequenceEqual(pinned.RawData))
            {
                return true;
            }
        }
        // Otherwise a chain to one of the given roots (RFC 5280 6.1 path validation by the platform),
        // and the name must match the URL's host.
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Never fetch what an untrusted certificate's AIA names, and require a server certificate (RFC 5280 4.2.1.12).
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        foreach (var intermediate in intermediates ?? [])
        {
            chain.ChainPolicy.ExtraStore.Add(intermediate);
        }

        return chain.Build(presented);
    }
}

/// <summary>The operator API refused a request; carries the problem's code and field for scripts.</summary>
public sealed class OperatorApiException(HttpStatusCode status, string code, string message, string? field)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string Code { get; } = code;

    public string? Field { get; } = field;

    public static OperatorApiException From(HttpStatusCode status, string? mediaType, string body)
    {
        if (mediaType == ProblemWriter.ContentType)
        {
            try
            {
                var problem = JsonDocument.Parse(body).RootElement;
                var code = problem.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
                var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
                var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
                var field = problem.TryGetProperty("field", out var f) ? f.GetString() : null;
                return new OperatorApiException(status, code, $"{(int)status} {code}: {detail ?? title}" + (field is null ? "" : $" (field {field})"), field);
            }
            catch (JsonException)
            {
            }
        }
        return new OperatorApiException(status, "http-" + (int)status, $"{(int)status} {status}: the server answered without problem details.", null);
    }
}
