using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleetward.Agent.Identity;

namespace Fleetward.Agent.Tests.Identity;

/// <summary>The agent authenticates the server: a fleet-CA certificate is not enough, it must be issued for a TLS server.</summary>
public sealed class DeviceTlsClientTests
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    [Fact]
    public async Task A_server_certificate_with_server_auth_is_accepted()
    {
        using var root = NewRoot(out var rootKey);
        using var leaf = Issue(root, rootKey, ServerAuth);

        Assert.Equal("ok", await FetchAsync(root, leaf));
    }

    [Fact]
    public async Task A_device_certificate_of_the_fleet_ca_named_like_the_server_is_refused()
    {
        using var root = NewRoot(out var rootKey);
        // What a stolen device identity could present: same fleet CA, CN = the server's host, but clientAuth only.
        using var device = Issue(root, rootKey, ClientAuth);

        await Assert.ThrowsAsync<HttpRequestException>(() => FetchAsync(root, device));
    }

    private static X509Certificate2 NewRoot(out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Test Fleet Root", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 root, ECDsa rootKey, string usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddMinutes(-5), now.AddMinutes(30), [1, 2, 3, 4]);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>One HTTPS request to a loopback server presenting <paramref name="serverCertificate"/>.</summary>
    private static async Task<string> FetchAsync(X509Certificate2 root, X509Certificate2 serverCertificate)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = ServeOnceAsync(listener, serverCertificate);
        try
        {
            using var client = DeviceTlsClient.Create(new Uri($"https://localhost:{port}/"), root, null);
            return await client.GetStringAsync("probe");
        }
        finally
        {
            listener.Stop();
            try
            {
                await serving;
            }
            catch (Exception error) when (error is IOException or System.Security.Authentication.AuthenticationException or SocketException or ObjectDisposedException)
            {
                // The client hung up during the handshake (the refusal under test).
            }
        }
    }

    private static async Task ServeOnceAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(connection.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var buffer = new byte[4096];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await tls.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
    }
}
