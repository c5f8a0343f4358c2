using Fleetward.Integration.Tests.Pki;

namespace Fleetward.Integration.Tests.Est;

/// <summary>strongSwan's pki tool as a second independent EST client: --estca fetches the CA certificates, --est enrolls with a one-time token.</summary>
public sealed class StrongSwanEstTests
{
    [Fact]
    public async Task Pki_estca_and_est_enroll_against_the_server()
    {
        await using var plane = await EstControlPlane.StartAsync();
        var dir = plane.Directory;
        var url = plane.DeviceUrl.AbsoluteUri.TrimEnd('/');
        System.IO.File.Copy(plane.RootCertificatePath, plane.File("root.pem"));
        System.IO.File.Copy(plane.IssuingCertificatePath, plane.File("issuing.pem"));

        var estca = Pki(dir, "--estca", "--url", url, "--cacert", "root.pem", "--caout", "estca", "--outform", "pem", "--force");
        var fetched = Directory.GetFiles(dir, "estca*");
        Assert.True(fetched.Length >= 1, "pki --estca stored no CA certificate:\n" + estca);

        var token = await plane.TokenAsync("line-s", "robot-s1");
        Pki(dir, "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem", ">", "device.key");
        Pki(dir, "--req", "--in", "device.key", "--type", "ecdsa", "--dn", "CN=robot-s1", "--outform", "der", ">", "device.csr");
        Pki(dir, "--est", "--url", url, "--cacert", "root.pem", "--in", "device.csr", "--userpass", $"robot-s1:{token}", "--outform", "pem", ">", "device.pem");
        Assert.Contains("device.pem: OK", CurlOpenSslEstTests.Shell(dir, "openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted issuing.pem device.pem"));
        Assert.Contains("URI:urn:fleetward:device:robot-s1", CurlOpenSslEstTests.Shell(dir, "openssl x509 -in device.pem -noout -ext subjectAltName"));
    }

    private static string Pki(string directory, params string[] arguments)
    {
        ExternalTool.Require("pki", "strongswan-pki");
        // The device listener speaks TLS 1.3 only; strongSwan's TLS stack offers at most 1.2 unless configured.
        var configuration = Path.Combine(directory, "strongswan.conf");
        File.WriteAllText(configuration, "libtls {\n  version_max = 1.3\n}\n");
        var command = "pki " + string.Join(' ', arguments.Select(a => a is ">" ? a : "'" + a + "'"));
        return ExternalTool.RunOk("sh", "dash", ["-c", command], directory, new Dictionary<string, string> { ["STRONGSWAN_CONF"] = configuration });
    }
}
