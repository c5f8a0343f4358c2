using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Fleetward.Integration.Tests.Pki;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Microsoft.Extensions.Logging;

namespace Fleetward.Integration.Tests.Est;

/// <summary>
/// A real control plane from a data directory made the way an operator makes one (init, then ca init), on 127.0.0.1
/// with the system clock, so independent tools (curl, openssl, strongSwan) check certificates at the real time.
/// </summary>
public sealed class EstControlPlane : IAsyncDisposable
{
    public const string IssuingPassphrase = "issuing-passphrase-for-tests";

    // The server reads the issuing key secret from a process-wide environment variable: one start at a time.
    internal static readonly SemaphoreSlim StartLock = new(1, 1);
    private readonly TempDirectory _dir;
    private readonly ControlPlane _plane;

    private EstControlPlane(TempDirectory dir, ControlPlane plane, string adminToken, int devicePort)
    {
        _dir = dir;
        _plane = plane;
        AdminToken = adminToken;
        DeviceUrl = new Uri($"https://127.0.0.1:{devicePort}/");
    }

    public string Directory => _dir.Path;

    public string AdminToken { get; }

    public Uri DeviceUrl { get; }

    public Uri OperatorUrl => _plane.Server.OperatorAddress;

    public string RootCertificatePath => Path.Combine(_dir.Path, "data", "ca", "root.crt");

    public string IssuingCertificatePath => Path.Combine(_dir.Path, "data", "ca", "issuing.crt");

    public string File(string name) => _dir.File(name);

    /// <param name="issuingPkcs11Uri">An HSM key to issue with (its PIN in <paramref name="issuingSecret"/>); null for the encrypted key file.</param>
    public static async Task<EstControlPlane> StartAsync(string? issuingPkcs11Uri = null, string issuingSecret = IssuingPassphrase)
    {
        var dir = new TempDirectory();
        var devicePort = FreePort();
        var data = new DataDirectory(Path.Combine(dir.Path, "data"));
        var initialized = await DataDirectoryInitializer.InitializeAsync(data, new Uri("https://127.0.0.1:0"), new Uri($"https://127.0.0.1:{devicePort}"), null, TimeProvider.System, default);
        CertificateAuthorityInitializer.Initialize(data, dir.File("root-key.pem"), "root-passphrase-for-tests", issuingPkcs11Uri, issuingSecret, DateTimeOffset.UtcNow.AddMinutes(-1));
        ControlPlane plane;
        await StartLock.WaitAsync();
        try
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, issuingSecret);
            plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(), new FleetwardServerSetup
            {
                ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
            }, default);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, null);
            StartLock.Release();
        }

        return new EstControlPlane(dir, plane, initialized.AdminToken, devicePort);
    }

    public HttpClient OperatorClient()
    {
        var pinned = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(Path.Combine(_dir.Path, "data", "operator-ca.pem")));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
        var client = new HttpClient(handler) { BaseAddress = OperatorUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public async Task<string> TokenAsync(string group, string deviceId, string approval = "auto")
    {
        using var client = OperatorClient();
        var created = await client.PostAsJsonAsync("api/v1/groups", new { name = group, model = "rover-2", approval });
        Assert.True(created.IsSuccessStatusCode || created.StatusCode == HttpStatusCode.Conflict, await created.Content.ReadAsStringAsync());
        var response = await client.PostAsJsonAsync($"api/v1/groups/{group}/tokens", new { deviceId });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
    }

    public async Task CreateFactoryGroupAsync(string group, string factoryCaPem)
    {
        using var client = OperatorClient();
        var created = await client.PostAsJsonAsync("api/v1/groups", new { name = group, model = "rover-f", factoryCaPem });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
    }

    public async Task RevokeAsync(string deviceId)
    {
        using var client = OperatorClient();
        var response = await client.PostAsJsonAsync($"api/v1/devices/{deviceId}/revoke", new { reason = "keyCompromise" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _plane.StopAsync(default);
        await _plane.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
