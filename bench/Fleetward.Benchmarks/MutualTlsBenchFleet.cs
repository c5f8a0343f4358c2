using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Identity;
using Fleetward.Core.Ports;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Hosting;
using Fleetward.Server.Identity;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Fleetward.Trust.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Benchmarks;

/// <summary>One enrolled device: its EST-issued certificate, its CSR (for re-enrollment) and a kept-alive client to each listener.</summary>
public sealed record BenchDevice(string Id, X509Certificate2 Certificate, byte[] Csr, HttpClient Server, HttpClient Bare);

/// <summary>
/// The set-up the device-listener benchmarks share: a real server on loopback (SQLite, software CA, Kestrel device
/// listener with mutual TLS 1.3) whose devices enrolled over EST, so each holds a certificate the real CA issued; and
/// beside it a bare Kestrel endpoint with the same listener certificate, the same client-certificate requirement and
/// chain check, that drains the body and answers a small JSON: the transport floor for same-run ratios.
/// </summary>
public sealed class MutualTlsBenchFleet : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;
    private readonly WebApplication _bare;

    private MutualTlsBenchFleet(DirectoryInfo directory, IFleetStore store, FleetwardServer server, WebApplication bare, X509Certificate2 root)
    {
        _directory = directory;
        Store = store;
        Server = server;
        _bare = bare;
        Root = root;
    }

    public IFleetStore Store { get; }

    public FleetwardServer Server { get; }

    public X509Certificate2 Root { get; }

    public IReadOnlyList<BenchDevice> Devices { get; private set; } = [];

    /// <param name="modules">Extra server modules (e.g. relaxed telemetry rate limits); later registrations win.</param>
    public static async Task<MutualTlsBenchFleet> StartAsync(int deviceCount, string model, params IServerModule[] modules)
    {
        var directory = Directory.CreateTempSubdirectory("fleetward-mtls-bench-");
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=Bench Root"), now.AddDays(-1));
        var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, new PublicKey(issuingKey), new X500DistinguishedName("CN=Bench Issuing"), now.AddDays(-1));
        var authority = new FleetCertificateAuthority(root, issuing, issuingKey, new Uri("https://127.0.0.1/pki/crl.der"));
        var listenerCertificate = authority.IssueListenerCertificate("127.0.0.1", now, TimeSpan.FromDays(1));
        var store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"));
        var server = FleetwardServer.Build(
            new ServerOptions
            {
                OperatorUrl = new Uri("https://127.0.0.1:0"),
                DeviceUrl = new Uri("https://127.0.0.1:0"),
                OperatorCertificate = OperatorCertificate.CreateSelfSigned(now, TimeSpan.FromDays(1), []),
                DeviceServerCertificate = listenerCertificate,
                DeviceServerCertificateChain = [issuing],
            },
            store,
            new FleetwardServerSetup
            {
                ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
                Modules = [new DeviceCertificateAuthorityModule(authority), .. modules],
            });
        await server.StartAsync();
        var bare = await StartBareAsync(listenerCertificate, issuing, root);
        var fleet = new MutualTlsBenchFleet(directory, store, server, bare, root);

        var groups = server.Services.GetRequiredService<EnrollmentGroupService>();
        await groups.CreateGroupAsync("bench", null, model, [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, "bench", default);
        var bareAddress = new Uri(bare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        var devices = new List<BenchDevice>();
        using var anonymous = DeviceTlsClient.Create(server.DeviceAddress, root, null);
        for (var i = 0; i < deviceCount; i++)
        {
            var id = $"robot-{i:D4}";
            var token = await groups.CreateTokenAsync("bench", id, TimeSpan.FromHours(1), "bench", default);
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = DeviceCertificateRequest.Create(key, id);
            var enrolled = await new EstClient(anonymous).SimpleEnrollAsync(csr, id, token.Token, default);
            var certificate = DeviceTlsClient.Join(enrolled.Certificate!, key);
            devices.Add(new BenchDevice(id, certificate, csr,
                DeviceTlsClient.Create(server.DeviceAddress, root, certificate),
                DeviceTlsClient.Create(bareAddress, root, certificate)));
        }
        fleet.Devices = devices;
        return fleet;
    }

    /// <summary>Kestrel with the device listener's TLS settings and nothing else: no routing, no store, no authentication beyond the handshake.</summary>
    private static async Task<WebApplication> StartBareAsync(X509Certificate2 listenerCertificate, X509Certificate2 issuing, X509Certificate2 root)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.SetMinimumLevel(LogLevel.None);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = listenerCertificate,
                    ServerCertificateChain = [issuing],
                    SslProtocols = SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (certificate, _, _) =>
                    {
                        using var chain = new X509Chain();
                        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        chain.ChainPolicy.CustomTrustStore.Add(root);
                        chain.ChainPolicy.ExtraStore.Add(issuing);
                        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        return chain.Build(certificate);
                    },
                });
            });
        });
        var app = builder.Build();
        var answer = "{\"instruction\":{\"kind\":\"none\"}}"u8.ToArray();
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
        });
        await app.StartAsync();
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in Devices)
        {
            device.Server.Dispose();
            device.Bare.Dispose();
        }
        await _bare.DisposeAsync();
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
