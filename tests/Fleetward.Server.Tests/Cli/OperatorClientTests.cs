using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Cli.Commands;

namespace Fleetward.Server.Tests.Cli;

public sealed class OperatorClientTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void The_pinned_certificate_is_trusted()
    {
        using var pinned = Configuration.OperatorCertificate.CreateSelfSigned(Now, TimeSpan.FromDays(1), []);
        using var presented = X509CertificateLoader.LoadCertificate(pinned.RawData);

        Assert.True(ServerCertificateTrust.IsTrusted(presented, SslPolicyErrors.RemoteCertificateChainErrors, [pinned]));
    }

    [Fact]
    public void Another_self_signed_certificate_with_the_same_name_is_not_trusted()
    {
        using var pinned = Configuration.OperatorCertificate.CreateSelfSigned(Now, TimeSpan.FromDays(1), []);
        using var impostor = Configuration.OperatorCertificate.CreateSelfSigned(Now, TimeSpan.FromDays(1), []);

        Assert.False(ServerCertificateTrust.IsTrusted(impostor, SslPolicyErrors.RemoteCertificateChainErrors, [pinned]));
    }

    [Fact]
    public void A_certificate_issued_by_the_given_root_is_trusted_only_when_the_name_matches()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Test operator CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var root = rootRequest.CreateSelfSigned(Now.AddHours(-1), Now.AddDays(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=fleet.example", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = leafRequest.Create(root, Now.AddHours(-1), Now.AddHours(12), [1, 2, 3, 4]);
        using var otherRoot = Configuration.OperatorCertificate.CreateSelfSigned(Now, TimeSpan.FromDays(1), []);

        Assert.True(ServerCertificateTrust.IsTrusted(leaf, SslPolicyErrors.RemoteCertificateChainErrors, [root]));
        Assert.False(ServerCertificateTrust.IsTrusted(leaf, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, [root]));
        Assert.False(ServerCertificateTrust.IsTrusted(leaf, SslPolicyErrors.RemoteCertificateChainErrors, [otherRoot]));
    }

    [Fact]
    public void Server_token_and_ca_file_fall_back_to_environment_variables()
    {
        var caFile = Path.GetTempFileName();
        try
        {
            var environment = new Dictionary<string, string?>
            {
                [OperatorApiOptions.ServerVariable] = "https://127.0.0.1:1",
                [OperatorApiOptions.TokenVariable] = "fw_0123456789abcdef_x",
                [OperatorApiOptions.CaFileVariable] = caFile,
            };
            var options = new OperatorApiOptions { Environment = name => environment.GetValueOrDefault(name) };
            var command = new System.CommandLine.Command("probe");
            options.AddTo(command);

            var fromEnvironment = options.Connection(command.Parse([]));
            Assert.Equal(new Uri("https://127.0.0.1:1"), fromEnvironment.Server);
            Assert.Equal("fw_0123456789abcdef_x", fromEnvironment.Token);
            Assert.Equal(caFile, fromEnvironment.CaFile);

            var fromOptions = options.Connection(command.Parse(["--server", "https://10.0.0.1:8443", "--token", "fw_other"]));
            Assert.Equal(new Uri("https://10.0.0.1:8443"), fromOptions.Server);
            Assert.Equal("fw_other", fromOptions.Token);

            environment.Clear();
            Assert.Contains("--server is required", Assert.Throws<UsageException>(() => options.Connection(command.Parse([]))).Message);
            Assert.Contains("https://", Assert.Throws<UsageException>(() => options.Connection(command.Parse(["--server", "http://x", "--token", "t"]))).Message);
            Assert.Contains("--token is required", Assert.Throws<UsageException>(() => options.Connection(command.Parse(["--server", "https://x"]))).Message);
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Fact]
    public async Task Every_verb_has_help()
    {
        var root = Fleetward.Cli.Program.BuildRootCommand();
        foreach (var path in Verbs(root, []))
        {
            var result = await CliRunner.RunAsync([.. path, "--help"]);
            Assert.True(result.ExitCode == 0, string.Join(' ', path) + ": " + result.Error);
            Assert.Contains("Usage:", result.Output);
            Assert.Contains("Description:", result.Output);
        }
    }

    private static IEnumerable<string[]> Verbs(System.CommandLine.Command command, string[] prefix)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] path = [.. prefix, sub.Name];
            yield return path;
            foreach (var nested in Verbs(sub, path))
            {
                yield return nested;
            }
        }
    }
}
