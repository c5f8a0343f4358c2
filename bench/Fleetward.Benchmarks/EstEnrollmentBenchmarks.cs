using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BenchmarkDotNet.Attributes;
using Fleetward.Agent.Identity;
using Fleetward.Core.Ports;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Fleetward.Trust.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Benchmarks;

/// <summary>
/// EST over HTTPS with mutual TLS 1.3 against a real server on loopback (SQLite, software issuing key): a full
/// /simplereenroll (device authentication, CSR verify, certificate build + sign, store + audit in one transaction),
/// once on a kept-alive connection and once with a fresh mutual-TLS handshake per enrollment. The baseline is the
/// same client doing a mutual-TLS GET of /csrattrs on a kept-alive connection: the transport floor of the same path.
/// </summary>
public class EstEnrollmentBenchmarks
{
    private DirectoryInfo _dir = null!;
    private IFleetStore _store = null!;
    private FleetwardServer _server = null!;
    private X509Certificate2 _root = null!;
    private X509Certificate2 _device = null!;
    private HttpClient _keptAlive = null!;
    private byte[] _csr = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("fleetward-est-bench-");
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        _root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=Bench Root"), now.AddDays(-1));
        var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuing = CertificateAuthorityHierarchy.CreateIssuing(_root, rootKey, new PublicKey(issuingKey), new X500DistinguishedName("CN=Bench Issuing"), now.AddDays(-1));
        var authority = new FleetCertificateAuthority(_root, issuing, issuingKey, new Uri("https://127.0.0.1/pki/crl.der"));
        _store = await FleetStores.OpenSqliteAsync(Path.Combine(_dir.FullName, "fleetward.db"));
        _server = FleetwardServer.Build(
            new ServerOptions
            {
                OperatorUrl = new Uri("https://127.0.0.1:0"),
                DeviceUrl = new Uri("https://127.0.0.1:0"),
                OperatorCertificate = OperatorCertificate.CreateSelfSigned(now, TimeSpan.FromDays(1), []),
                DeviceServerCertificate = authority.IssueListenerCertificate("127.0.0.1", now, TimeSpan.FromDays(1)),
                DeviceServerCertificateChain = [issuing],
            },
            _store,
            new FleetwardServerSetup { ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None), Modules = [new DeviceCertificateAuthorityModule(authority)] });
        await _server.StartAsync();

        var groups = _server.Services.GetRequiredService<EnrollmentGroupService>();
        await groups.CreateGroupAsync("bench", null, "bench", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, "bench", default);
        var token = await groups.CreateTokenAsync("bench", "robot-bench", TimeSpan.FromHours(1), "bench", default);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _csr = DeviceCertificateRequest.Create(key, "robot-bench");
        using (var anonymous = DeviceTlsClient.Create(_server.DeviceAddress, _root, null))
        {
            var enrolled = await new EstClient(anonymous).SimpleEnrollAsync(_csr, "robot-bench", token.Token, default);
            _device = DeviceTlsClient.Join(enrolled.Certificate!, key);
        }

        _keptAlive = DeviceTlsClient.Create(_server.DeviceAddress, _root, _device);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _keptAlive.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Benchmark(Baseline = true, Description = "mTLS GET /csrattrs, kept-alive connection")]
    public async Task<int> CsrAttrsKeptAlive() => (await _keptAlive.GetByteArrayAsync(".well-known/est/csrattrs")).Length;

    [Benchmark(Description = "mTLS /simplereenroll (verify + sign + store + audit), kept-alive")]
    public async Task<int> ReenrollKeptAlive() => await ReenrollAsync(_keptAlive);

    [Benchmark(Description = "mTLS /simplereenroll with a new TLS 1.3 handshake each")]
    public async Task<int> ReenrollNewConnection()
    {
        using var client = DeviceTlsClient.Create(_server.DeviceAddress, _root, _device);
        return await ReenrollAsync(client);
    }

    private async Task<int> ReenrollAsync(HttpClient client)
    {
        using var content = new StringContent(Convert.ToBase64String(_csr), Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue(EstWireFormat.Pkcs10MediaType);
        using var response = await client.PostAsync(".well-known/est/simplereenroll", content);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }
}
