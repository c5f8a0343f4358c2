using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Cli.Commands;
using Fleetward.Core.Access;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Fleetward.Server.Tests.Cli;
using Fleetward.Trust.Keys;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Tests.Identity;

/// <summary>`fleetward ca init` then `fleetward server`: the CA is created, recorded, and loaded only with the issuing key's secret from the environment.</summary>
public sealed class CertificateAuthorityInitTests : IDisposable
{
    private const string RootPassphrase = "root passphrase for tests";
    private const string IssuingPassphrase = "issuing passphrase for tests";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fleetward-ca-init-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Ca_init_writes_an_offline_root_key_and_an_issuing_ca_and_refuses_a_second_run()
    {
        var data = await InitAsync();
        var result = await RunCaInitAsync(data, Secrets);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Move the root key file offline", result.Output);

        var configuration = ConfigurationFile.Load(data);
        var ca = Assert.IsType<CertificateAuthorityConfiguration>(configuration.CertificateAuthority);
        Assert.False(ca.IssuingKeyIsPkcs11);
        var configText = await File.ReadAllTextAsync(data.ConfigurationPath);
        Assert.DoesNotContain("root-key", configText);
        Assert.DoesNotContain(IssuingPassphrase, configText);

        var rootKeyPem = await File.ReadAllTextAsync(Path.Combine(_dir.FullName, "root-key.pem"));
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", rootKeyPem);
        Assert.True(EncryptedKeyFile.Open(rootKeyPem, RootPassphrase).IsSuccess);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir.FullName, "root-key.pem")));
        }

        using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(ca.RootCertificatePath));
        using var issuing = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(ca.IssuingCertificatePath));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(issuing));

        var again = await RunCaInitAsync(data, Secrets);
        Assert.Equal(ExitCodes.Configuration, again.ExitCode);
        Assert.Contains("already records a device CA", again.Error);
    }

    [Fact]
    public async Task Ca_init_without_a_passphrase_in_the_environment_or_a_terminal_is_a_usage_error()
    {
        var data = await InitAsync();
        var result = await RunCaInitAsync(data, name => name == CaCommand.RootPassphraseVariable ? RootPassphrase : null);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(CertificateAuthorityConfiguration.PassphraseVariable, result.Error);
        Assert.Null(ConfigurationFile.Load(data).CertificateAuthority);
    }

    [Fact]
    public async Task The_server_loads_the_ca_only_with_the_right_issuing_passphrase_and_then_serves_est()
    {
        var data = await InitAsync();
        Assert.Equal(0, (await RunCaInitAsync(data, Secrets)).ExitCode);
        var overrides = new ControlPlaneOverrides(OperatorUrl: new Uri("https://127.0.0.1:0"), DeviceUrl: new Uri("https://127.0.0.1:0"));
        var setup = new FleetwardServerSetup { ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None) };

        Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, null);
        var missing = await Assert.ThrowsAsync<ConfigurationException>(() => ControlPlane.StartAsync(data, overrides, setup, default));
        Assert.Equal("ca.issuingKey", missing.Key);

        Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, "not the passphrase");
        var wrong = await Assert.ThrowsAsync<ConfigurationException>(() => ControlPlane.StartAsync(data, overrides, setup, default));
        Assert.Equal("ca", wrong.Key);

        Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, IssuingPassphrase);
        try
        {
            await using var plane = await ControlPlane.StartAsync(data, overrides, setup, default);
            using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(plane.Configuration.CertificateAuthority!.RootCertificatePath));
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, sent, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(root);
                chain.ChainPolicy.ExtraStore.AddRange(sent!.ChainPolicy.ExtraStore);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(presented!.GetRawCertData()));
            };
            using var client = new HttpClient(handler) { BaseAddress = plane.Server.DeviceAddress };
            var response = await client.GetAsync(".well-known/est/cacerts");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, null);
        }
    }

    private static string? Secrets(string name) => name switch
    {
        CaCommand.RootPassphraseVariable => RootPassphrase,
        CertificateAuthorityConfiguration.PassphraseVariable => IssuingPassphrase,
        _ => null,
    };

    private async Task<DataDirectory> InitAsync()
    {
        var data = new DataDirectory(Path.Combine(_dir.FullName, "data"));
        await DataDirectoryInitializer.InitializeAsync(data, new Uri("https://127.0.0.1:8443"), new Uri("https://127.0.0.1:8444"), null, TimeProvider.System, default);
        return data;
    }

    private Task<CliRunner.Result> RunCaInitAsync(DataDirectory data, Func<string, string?> environment)
    {
        var root = new RootCommand { CaCommand.Create(environment) };
        return CliRunner.RunAsync(root, ["ca", "init", "--data", data.Root, "--root-key-out", Path.Combine(_dir.FullName, "root-key.pem")], default);
    }
}
