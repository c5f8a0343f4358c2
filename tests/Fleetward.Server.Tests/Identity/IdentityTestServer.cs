using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Identity;
using Fleetward.Trust.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Tests.Identity;

/// <summary>
/// A test server with a throw-away two-level device CA (software keys) and two probe routes on the device listener:
/// /probe/active (RequireDevice: active only) and /probe/quarantine-ok (active or quarantined).
/// </summary>
public sealed class IdentityTestServer : IAsyncDisposable
{
    private IdentityTestServer(TestServer server, FleetCertificateAuthority authority)
    {
        Server = server;
        Authority = authority;
    }

    public TestServer Server { get; }

    public FleetCertificateAuthority Authority { get; }

    public static async Task<IdentityTestServer> StartAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var now = TestServer.Start;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=Test Fleet Root"), now.AddDays(-1));
        var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, new PublicKey(issuingKey), new X500DistinguishedName("CN=Test Fleet Issuing"), now.AddDays(-1));
        var authority = new FleetCertificateAuthority(root, issuing, issuingKey, new Uri("https://127.0.0.1:8444/pki/crl.der"));
        var server = await TestServer.StartAsync([new DeviceCertificateAuthorityModule(authority), new ProbeModule()], services);
        return new IdentityTestServer(server, authority);
    }

    /// <summary>A device-listener client pinning the server certificate, optionally presenting a client certificate.</summary>
    public HttpClient DeviceClient(X509Certificate2? clientCertificate = null) =>
        new(TestServer.PinnedHandler(Server.Certificate, clientCertificate)) { BaseAddress = Server.Server.DeviceAddress };

    public async Task CreateGroupAsync(string name, string approval = "auto", string? factoryCaPem = null, long? lifetimeSeconds = null)
    {
        using var client = Server.OperatorClient(OperatorRole.Provisioner);
        var response = await client.PostAsJsonAsync("api/v1/groups", new { name, model = "rover-2", tags = new[] { "eu", "beta" }, approval, factoryCaPem, certLifetimeSeconds = lifetimeSeconds });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> TokenAsync(string group, string deviceId, long expiresInSeconds = 3600)
    {
        using var client = Server.OperatorClient(OperatorRole.Provisioner);
        var response = await client.PostAsJsonAsync($"api/v1/groups/{group}/tokens", new { deviceId, expiresInSeconds });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
    }

    public static HttpContent CsrBody(byte[] der) => Base64Body(Convert.ToBase64String(der));

    public static HttpContent Base64Body(string text)
    {
        var content = new StringContent(text, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/pkcs10");
        return content;
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    /// <summary>Enrolls with a token and returns the certificate joined with its private key, ready for mutual TLS.</summary>
    public async Task<X509Certificate2> EnrollAsync(string deviceId, string token, ECDsa key)
    {
        using var client = DeviceClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = CsrBody(DeviceCertificateRequest.Create(key, deviceId)) };
        request.Headers.Authorization = Basic(deviceId, token);
        var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return WithKey(await response.Content.ReadAsStringAsync(), key);
    }

    public static X509Certificate2 WithKey(string base64CertsOnly, ECDsa key)
    {
        var certificates = EstWireFormat.DecodeCertsOnly(Convert.FromBase64String(base64CertsOnly));
        Assert.True(certificates.IsSuccess, certificates.Error?.ToString());
        using var certificate = Assert.Single(certificates.Value);
        using var joined = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(joined.Export(X509ContentType.Pkcs12), null);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private sealed class ProbeModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes)
        {
            routes.Device.MapGet("/probe/active", (HttpContext context) => context.GetAuthenticatedDevice().Device.Id).RequireDevice();
            routes.Device.MapGet("/probe/quarantine-ok", (HttpContext context) => context.GetAuthenticatedDevice().Device.Id)
                .RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        }
    }
}
