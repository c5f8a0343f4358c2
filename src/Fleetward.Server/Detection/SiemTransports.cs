using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleetward.Core.Siem;

namespace Fleetward.Server.Detection;

/// <summary>Delivers a batch of OCSF events to one SIEM; throws when the receiver did not take them all.</summary>
public interface ISiemTransport : IAsyncDisposable
{
    /// <summary>The outbox sink this transport drains.</summary>
    string Sink { get; }

    Task SendAsync(IReadOnlyList<OcsfEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// RFC 5425 syslog over TLS: one long-lived TLS connection (TLS 1.2+, RFC 5425 section 4.2 mutual authentication
/// with our client certificate, the receiver verified against the configured CA and its name, section 5.2),
/// RFC 5424 messages framed by octet counting (section 4.3). A failed write drops the connection; the next batch
/// reconnects.
/// </summary>
public sealed class SyslogTlsTransport(SyslogTlsSinkOptions options) : ISiemTransport
{
    private readonly SiemSyslogEncoder _encoder = new(new SiemSyslogOptions(options.HostName));
    private readonly X509Certificate2 _ca = X509CertificateLoader.LoadCertificateFromFile(options.CaCertificatePath);
    private readonly X509Certificate2 _client = LoadClientCertificate(options);
    private TcpClient? _tcp;
    private SslStream? _tls;

    public string Sink => SiemConfiguration.SyslogSink;

    public async Task SendAsync(IReadOnlyList<OcsfEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            var stream = _tls ?? await ConnectAsync(cancellationToken);
            foreach (var e in events) await stream.WriteAsync(_encoder.Frame(e), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        catch
        {
            await DropAsync();
            throw;
        }
    }

    private async Task<SslStream> ConnectAsync(CancellationToken cancellationToken)
    {
        _tcp = new TcpClient();
        await _tcp.ConnectAsync(options.Host, options.Port, cancellationToken);
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(_ca);
        _tls = new SslStream(_tcp.GetStream(), leaveInnerStreamOpen: false);
        await _tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = options.Host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificates = [_client],
            CertificateChainPolicy = policy,
        }, cancellationToken);
        return _tls;
    }

    private async Task DropAsync()
    {
        if (_tls is not null) await _tls.DisposeAsync();
        _tcp?.Dispose();
        _tls = null;
        _tcp = null;
    }

    private static X509Certificate2 LoadClientCertificate(SyslogTlsSinkOptions options)
    {
        using var pem = X509Certificate2.CreateFromPemFile(options.ClientCertificatePath, options.ClientKeyPath);
        // An ephemeral PEM key cannot be used by SslStream on every platform; PKCS#12 round-trip makes it usable.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await DropAsync();
        _ca.Dispose();
        _client.Dispose();
    }
}

/// <summary>The JSON webhook: one HTTPS POST per batch with a JSON array of OCSF events; any status but 2xx is a failure.</summary>
public sealed class WebhookTransport(WebhookSinkOptions options, HttpClient http) : ISiemTransport
{
    public string Sink => SiemConfiguration.WebhookSink;

    public async Task SendAsync(IReadOnlyList<OcsfEvent> events, CancellationToken cancellationToken)
    {
        var body = "[" + string.Join(",", events.Select(e => e.Json)) + "]";
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (options.BearerToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.BearerToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"webhook {options.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
