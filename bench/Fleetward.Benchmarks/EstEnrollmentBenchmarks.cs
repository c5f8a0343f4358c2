using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Fleetward.Agent.Identity;
using Fleetward.Trust.Pki;

namespace Fleetward.Benchmarks;

/// <summary>
/// EST over HTTPS with mutual TLS 1.3 against a real server on loopback (SQLite, software issuing key): a full
/// /simplereenroll (device authentication, CSR verify, certificate build + sign, store + audit in one transaction),
/// once on a kept-alive connection and once with a fresh mutual-TLS handshake per enrollment. The baseline is the
/// same client doing a mutual-TLS GET of /csrattrs on a kept-alive connection: the transport floor of the same path.
/// </summary>
public class EstEnrollmentBenchmarks
{
    private MutualTlsBenchFleet _fleet = null!;
    private BenchDevice _device = null!;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await an async set-up.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _fleet = await MutualTlsBenchFleet.StartAsync(1, "bench");
        _device = _fleet.Devices[0];
    }

    [GlobalCleanup]
    public void Cleanup() => _fleet.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "mTLS GET /csrattrs, kept-alive connection")]
    public async Task<int> CsrAttrsKeptAlive() => (await _device.Server.GetByteArrayAsync(".well-known/est/csrattrs")).Length;

    [Benchmark(Description = "mTLS /simplereenroll (verify + sign + store + audit), kept-alive")]
    public async Task<int> ReenrollKeptAlive() => await ReenrollAsync(_device.Server);

    [Benchmark(Description = "mTLS /simplereenroll with a new TLS 1.3 handshake each")]
    public async Task<int> ReenrollNewConnection()
    {
        using var client = DeviceTlsClient.Create(_fleet.Server.DeviceAddress, _fleet.Root, _device.Certificate);
        return await ReenrollAsync(client);
    }

    private async Task<int> ReenrollAsync(HttpClient client)
    {
        using var content = new StringContent(Convert.ToBase64String(_device.Csr), Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue(EstWireFormat.Pkcs10MediaType);
        using var response = await client.PostAsync(".well-known/est/simplereenroll", content);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }
}
