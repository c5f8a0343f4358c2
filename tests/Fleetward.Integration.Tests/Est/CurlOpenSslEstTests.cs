using Fleetward.Integration.Tests.Pki;

namespace Fleetward.Integration.Tests.Est;

/// <summary>
/// curl + openssl as an independent EST client against the real server: cacerts, simpleenroll with a one-time
/// token, simplereenroll with the issued certificate, a revoked certificate that gets no answer, and the served CRL
/// verified by openssl. Every issued chain is checked with `openssl verify`.
/// </summary>
public sealed class CurlOpenSslEstTests
{
    [Fact]
    public async Task Curl_and_openssl_enroll_reenroll_and_are_cut_off_after_revocation()
    {
        await using var plane = await EstControlPlane.StartAsync();
        var dir = plane.Directory;
        var url = plane.DeviceUrl.AbsoluteUri.TrimEnd('/');
        System.IO.File.Copy(plane.RootCertificatePath, plane.File("root.pem"));

        // cacerts (RFC 7030 4.1): anonymous, base64 certs-only; the server's TLS certificate chains to the same root.
        Shell(dir, $"curl -sS --fail --tlsv1.3 --cacert root.pem {url}/.well-known/est/cacerts -o cacerts.b64");
        Shell(dir, "openssl base64 -d -A -in cacerts.b64 | openssl pkcs7 -inform DER -print_certs -out cacerts.pem");
        Assert.Equal(2, System.IO.File.ReadAllText(plane.File("cacerts.pem")).Split("BEGIN CERTIFICATE").Length - 1);
        System.IO.File.Copy(plane.IssuingCertificatePath, plane.File("issuing.pem"));

        // simpleenroll with HTTP Basic device id + one-time token.
        var token = await plane.TokenAsync("line-a", "robot-1");
        Shell(dir, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key -subj /CN=robot-1 -outform DER -out csr.der");
        Shell(dir, "openssl base64 -A -in csr.der -out csr.b64");
        var status = Shell(dir, $"curl -sS --tlsv1.3 --cacert root.pem -u robot-1:{token} -H 'Content-Type: application/pkcs10' --data-binary @csr.b64 -o enroll.b64 -w '%{{http_code}}' {url}/.well-known/est/simpleenroll");
        Assert.Equal("200", status.Trim());
        Shell(dir, "openssl base64 -d -A -in enroll.b64 | openssl pkcs7 -inform DER -print_certs -out device.pem");
        Assert.Contains("device.pem: OK", Shell(dir, "openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted issuing.pem device.pem"));
        Assert.Contains("URI:urn:fleetward:device:robot-1", Shell(dir, "openssl x509 -in device.pem -noout -ext subjectAltName"));

        // The token is single-use: a replay is refused with a problem.
        var replay = Shell(dir, $"curl -sS --tlsv1.3 --cacert root.pem -u robot-1:{token} -H 'Content-Type: application/pkcs10' --data-binary @csr.b64 -w ' %{{http_code}}' {url}/.well-known/est/simpleenroll");
        Assert.Contains("est.token_used", replay);
        Assert.EndsWith(" 401", replay.Trim());

        // simplereenroll over mutual TLS with the issued certificate (same subject, new key).
        Shell(dir, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device2.key -subj /CN=robot-1 -outform DER -out csr2.der && openssl base64 -A -in csr2.der -out csr2.b64");
        status = Shell(dir, $"curl -sS --tlsv1.3 --cacert root.pem --cert device.pem --key device.key -H 'Content-Type: application/pkcs10' --data-binary @csr2.b64 -o reenroll.b64 -w '%{{http_code}}' {url}/.well-known/est/simplereenroll");
        Assert.Equal("200", status.Trim());
        Shell(dir, "openssl base64 -d -A -in reenroll.b64 | openssl pkcs7 -inform DER -print_certs -out device2.pem");
        Assert.Contains("device2.pem: OK", Shell(dir, "openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted issuing.pem device2.pem"));
        var serial = Shell(dir, "openssl x509 -in device.pem -noout -serial").Trim().Split('=')[1];

        // After revocation the revoked certificate gets no TLS session, hence no HTTP answer at all.
        await plane.RevokeAsync("robot-1");
        var cutOff = ExternalTool.Run("sh", "dash", ["-c", $"curl -sS --tlsv1.3 --cacert root.pem --cert device2.pem --key device2.key -H 'Content-Type: application/pkcs10' --data-binary @csr2.b64 -w '%{{http_code}}' {url}/.well-known/est/simplereenroll"], dir);
        Assert.NotEqual(0, cutOff.ExitCode);
        Assert.DoesNotContain("200", cutOff.StandardOutput);

        // The CRL is signed by the issuing CA, verifies with openssl, and lists the revoked serial.
        Shell(dir, $"curl -sS --fail --tlsv1.3 --cacert root.pem {url}/pki/crl.der -o crl.der");
        Shell(dir, "cat issuing.pem root.pem > chain.pem");
        Assert.Contains("verify OK", Shell(dir, "openssl crl -inform DER -in crl.der -CAfile chain.pem -verify -noout 2>&1"));
        var crlText = Shell(dir, "openssl crl -inform DER -in crl.der -noout -text");
        Assert.Contains(serial, crlText.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Key Compromise", crlText);
        Assert.Contains($"URI:{url}/pki/crl.der", Shell(dir, "openssl x509 -in device.pem -noout -ext crlDistributionPoints"));
    }

    internal static string Shell(string directory, string command) => ExternalTool.RunOk("sh", "dash", ["-c", command], directory);
}
