using System.Security.Cryptography;
using Fleetward.Server.Audit;
using Fleetward.Server.Configuration;
using Fleetward.Trust.Notes;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Tests.Audit;

/// <summary>The log key on disk: created by init with its vkey beside the operator certificate, loaded by the server.</summary>
public sealed class AuditLogKeyTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("fleetward-audit-key-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public async Task Init_writes_a_secret_log_key_and_the_verifier_key_auditors_pin_and_the_server_publishes_it()
    {
        var data = new DataDirectory(Path.Combine(directory.FullName, "data"));
        var init = await DataDirectoryInitializer.InitializeAsync(data, new Uri("https://127.0.0.1:0"), new Uri("https://127.0.0.1:0"), null, TimeProvider.System, default);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(data.AuditLogKeyPath));
        }
        Assert.Equal(Path.GetDirectoryName(data.OperatorCaPath), Path.GetDirectoryName(data.AuditLogVerifierKeyPath));
        var vkey = NoteVerifierKey.Parse(File.ReadAllText(data.AuditLogVerifierKeyPath).Trim());
        Assert.EndsWith("/fleetward-audit", vkey.Name);

        var configuration = ConfigurationFile.Load(data);
        Assert.Equal(data.AuditLogKeyPath, configuration.AuditLogKeyPath);
        Assert.Equal(TimeSpan.FromMinutes(5), configuration.AuditCheckpointInterval);

        await using var plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(), new FleetwardServerSetup
        {
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
        }, default);
        using var client = new HttpClient(TestServer.PinnedHandler(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(data.OperatorCaPath))))
        {
            BaseAddress = plane.Server.OperatorAddress,
        };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", init.AdminToken);
        var key = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/v1/audit/key")).RootElement;
        Assert.Equal(vkey.ToString(), key.GetProperty("verifierKey").GetString());
        // Init's records (the first admin token, the development update keys) are in the log, and the server signs a
        // checkpoint covering them at start.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? note = null;
        while (note is null && DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync("/api/v1/audit/checkpoint");
            if (response.IsSuccessStatusCode)
            {
                note = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checkpoint").GetString();
            }
            else
            {
                await Task.Delay(50);
            }
        }
        var opened = Checkpoint.Open(note!, vkey, vkey.Name);
        Assert.True(opened.IsValid, opened.Reason);
        Assert.True(opened.Checkpoint!.TreeSize >= 1, $"checkpoint of size {opened.Checkpoint.TreeSize}");
    }

    [Theory]
    [InlineData("{\"logKey\":\"audit-log.key\",\"checkpointIntervalSeconds\":0}", "audit.checkpointIntervalSeconds")]
    [InlineData("{\"logKey\":\"audit-log.key\",\"interval\":5}", "audit.interval")]
    [InlineData("{\"checkpointIntervalSeconds\":60}", "audit.logKey")]
    public async Task A_bad_audit_section_is_refused_naming_the_key(string audit, string key)
    {
        var data = new DataDirectory(Path.Combine(directory.FullName, "data"));
        await DataDirectoryInitializer.InitializeAsync(data, new Uri("https://127.0.0.1:0"), new Uri("https://127.0.0.1:0"), null, TimeProvider.System, default);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(data.ConfigurationPath))!;
        json["audit"] = System.Text.Json.Nodes.JsonNode.Parse(audit);
        File.WriteAllText(data.ConfigurationPath, json.ToJsonString());
        Assert.Equal(key, Assert.Throws<ConfigurationException>(() => ConfigurationFile.Load(data)).Key);
    }

    [Fact]
    public void An_Ed25519_key_round_trips_and_a_different_configured_origin_is_refused()
    {
        var keyPath = Path.Combine(directory.FullName, "log.key");
        var vkey = AuditLogKeyFile.Create(keyPath, Path.Combine(directory.FullName, "log.vkey"), "fleet.example/fleetward-audit");
        Assert.Equal(vkey.ToString(), AuditLogKeyFile.Load(keyPath, null).VerifierKey.ToString());
        Assert.Equal(vkey.ToString(), AuditLogKeyFile.Load(keyPath, "fleet.example/fleetward-audit").VerifierKey.ToString());
        var error = Assert.Throws<FormatException>(() => AuditLogKeyFile.Load(keyPath, "other/fleetward-audit"));
        Assert.Contains("configured origin", error.Message);
        Assert.Throws<IOException>(() => AuditLogKeyFile.Create(keyPath, Path.Combine(directory.FullName, "other.vkey"), "x/fleetward-audit"));
    }

    [Fact]
    public void An_ECDSA_P256_PEM_key_needs_the_origin_from_configuration()
    {
        var keyPath = Path.Combine(directory.FullName, "ecdsa.pem");
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(keyPath, ecdsa.ExportPkcs8PrivateKeyPem());
        Assert.Contains("audit.origin", Assert.Throws<FormatException>(() => AuditLogKeyFile.Load(keyPath, null)).Message);
        var signer = AuditLogKeyFile.Load(keyPath, "fleet.example/fleetward-audit");
        Assert.Equal(NoteSignatureType.EcdsaSha256, signer.VerifierKey.Type);
        var note = new Checkpoint("fleet.example/fleetward-audit", 0, Trust.Merkle.MerkleHasher.EmptyRoot()).Sign(signer).ToString();
        Assert.True(Checkpoint.Open(note, signer.VerifierKey).IsValid);

        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        File.WriteAllText(keyPath, p384.ExportPkcs8PrivateKeyPem());
        Assert.Contains("P-256", Assert.Throws<FormatException>(() => AuditLogKeyFile.Load(keyPath, "fleet.example/fleetward-audit")).Message);
    }

    [Theory]
    [InlineData("My Host_01", "myhost01/fleetward-audit")]
    [InlineData("robot-gw.lan", "robot-gw.lan/fleetward-audit")]
    [InlineData("   ", "localhost/fleetward-audit")]
    public void The_default_origin_is_a_valid_key_name_from_the_host_name(string host, string origin)
    {
        Assert.Equal(origin, AuditLogKeyFile.DefaultOrigin(host));
        Assert.Equal(origin, Ed25519NoteSigner.Generate(origin).VerifierKey.Name);
    }
}
