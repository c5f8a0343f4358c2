using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Server.Identity;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Tests.Identity;

public sealed class EstEnrollmentTests : IAsyncLifetime
{
    private IdentityTestServer _server = null!;

    public async Task InitializeAsync() => _server = await IdentityTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Cacerts_returns_the_issuing_and_root_certificates_as_one_line_base64()
    {
        using var client = _server.DeviceClient();
        var response = await client.GetAsync(".well-known/est/cacerts");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pkcs7-mime", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Content.Headers.Contains("Content-Transfer-Encoding"));
        Assert.DoesNotContain('\n', body);
        var certificates = EstWireFormat.DecodeCertsOnly(Convert.FromBase64String(body));
        Assert.True(certificates.IsSuccess);
        Assert.Equal(
            new[] { _server.Authority.Issuing.Thumbprint, _server.Authority.Root.Thumbprint }.Order(),
            certificates.Value.Select(c => c.Thumbprint).Order());
    }

    [Fact]
    public async Task A_token_enrolls_once_and_a_replay_is_refused_and_audited()
    {
        await _server.CreateGroupAsync("line-a");
        var token = await _server.TokenAsync("line-a", "robot-1");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await _server.EnrollAsync("robot-1", token, key);

        Assert.True(DeviceIdentityName.TryGetDeviceId(certificate, out var id));
        Assert.Equal("robot-1", id);
        Assert.Equal(TestServer.Start.AddHours(24), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));

        using var client = _server.DeviceClient();
        using var replay = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll")
        {
            Content = IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, "robot-1")),
        };
        replay.Headers.Authorization = IdentityTestServer.Basic("robot-1", token);
        var response = await client.SendAsync(replay);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "est.token_used");
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());

        using var operatorClient = _server.Server.OperatorClient(OperatorRole.Auditor);
        var device = await operatorClient.GetFromJsonAsync<System.Text.Json.JsonElement>("api/v1/devices/robot-1");
        Assert.Equal("active", device.GetProperty("state").GetString());
        Assert.Equal("rover-2", device.GetProperty("model").GetString());
        var certificates = await operatorClient.GetFromJsonAsync<System.Text.Json.JsonElement>("api/v1/devices/robot-1/certificates");
        Assert.Equal(certificate.SerialNumber, Assert.Single(certificates.EnumerateArray()).GetProperty("serial").GetString());

        var audit = await _server.Server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "device.certificate.issued" && e.Subject == "robot-1" && e.Payload.Contains(certificate.SerialNumber));
        Assert.Contains(audit, e => e.Type == "device.enrollment.refused" && e.Payload.Contains("est.token_used"));
    }

    [Fact]
    public async Task A_token_for_another_device_or_an_expired_token_is_refused()
    {
        await _server.CreateGroupAsync("line-a");
        var token = await _server.TokenAsync("line-a", "robot-1", expiresInSeconds: 60);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = _server.DeviceClient();

        async Task<HttpResponseMessage> EnrollAs(string deviceId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll")
            {
                Content = IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, deviceId)),
            };
            request.Headers.Authorization = IdentityTestServer.Basic(deviceId, token);
            return await client.SendAsync(request);
        }

        await ProblemAssert.IsProblemAsync(await EnrollAs("robot-2"), HttpStatusCode.Unauthorized, "est.token_invalid");
        _server.Server.Clock.Advance(TimeSpan.FromMinutes(2));
        await ProblemAssert.IsProblemAsync(await EnrollAs("robot-1"), HttpStatusCode.Unauthorized, "est.token_expired");
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, "robot-1")) };
        await ProblemAssert.IsProblemAsync(await client.SendAsync(anonymous), HttpStatusCode.Unauthorized, "est.unauthenticated");
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadBodies() => new()
    {
        { "garbage base64", "not*base64!", HttpStatusCode.BadRequest, "est.base64_invalid" },
        { "garbage DER", Convert.ToBase64String(RandomNumberGenerator.GetBytes(200)), HttpStatusCode.BadRequest, "csr.der_invalid" },
        { "bad signature", Convert.ToBase64String(TamperedCsr()), HttpStatusCode.BadRequest, "csr.signature_invalid" },
        { "RSA 1024", Convert.ToBase64String(RsaCsr(1024)), HttpStatusCode.BadRequest, "csr.key_too_weak" },
        { "oversized", new string('A', EstWireFormat.MaxBase64BodyChars + 4), HttpStatusCode.RequestEntityTooLarge, "est.body_too_large" },
        { "subject of another device", Convert.ToBase64String(DeviceCertificateRequest.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "robot-2")), HttpStatusCode.BadRequest, "csr.subject_mismatch" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_gets_a_specific_problem_stores_nothing_and_is_audited(string name, string body, HttpStatusCode status, string code)
    {
        await _server.CreateGroupAsync("line-a");
        var token = await _server.TokenAsync("line-a", "robot-1");
        using var client = _server.DeviceClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = IdentityTestServer.Base64Body(body) };
        request.Headers.Authorization = IdentityTestServer.Basic("robot-1", token);
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), status, code, name);

        await using (var read = await _server.Server.Store.ReadAsync())
        {
            Assert.Null(await read.Devices.GetAsync("robot-1"));
            Assert.Empty(await read.Certificates.ListForDeviceAsync("robot-1"));
        }

        Assert.Contains(await _server.Server.AuditEntriesAsync(), e => e.Type == "device.enrollment.refused" && e.Payload.Contains(code));
        // The token was not spent by the refused attempt.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await _server.EnrollAsync("robot-1", token, key);
    }

    [Fact]
    public async Task Manual_approval_answers_202_with_retry_after_until_an_operator_approves()
    {
        await _server.CreateGroupAsync("line-m", approval: "manual");
        var token = await _server.TokenAsync("line-m", "robot-7");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = _server.DeviceClient();
        async Task<HttpResponseMessage> Enroll()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, "robot-7")) };
            request.Headers.Authorization = IdentityTestServer.Basic("robot-7", token);
            return await client.SendAsync(request);
        }

        var pending = await Enroll();
        Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);
        Assert.NotNull(pending.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Accepted, (await Enroll()).StatusCode);

        using var operatorClient = _server.Server.OperatorClient(OperatorRole.Operator);
        var approve = await operatorClient.PostAsync("api/v1/devices/robot-7/approve", null);
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        await ProblemAssert.IsProblemAsync(await operatorClient.PostAsync("api/v1/devices/robot-7/approve", null), HttpStatusCode.Conflict, "conflict");

        var issued = await Enroll();
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Contains(await _server.Server.AuditEntriesAsync(), e => e.Type == "device.enrollment.approved" && e.Subject == "robot-7");
    }

    [Fact]
    public async Task Reenroll_over_mutual_tls_renews_and_a_revoked_certificate_gets_no_tls_session()
    {
        await _server.CreateGroupAsync("line-a", lifetimeSeconds: 3600);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await _server.EnrollAsync("robot-1", await _server.TokenAsync("line-a", "robot-1"), key);

        using (var client = _server.DeviceClient(certificate))
        {
            Assert.Equal("robot-1", await client.GetStringAsync("probe/active"));
            var response = await client.PostAsync(".well-known/est/simplereenroll", IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, "robot-1")));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            using var renewed = IdentityTestServer.WithKey(await response.Content.ReadAsStringAsync(), key);
            Assert.NotEqual(certificate.SerialNumber, renewed.SerialNumber);
            Assert.Equal(TestServer.Start.AddHours(1), new DateTimeOffset(renewed.NotAfter.ToUniversalTime()));

            using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var wrongSubject = await client.PostAsync(".well-known/est/simplereenroll", IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(otherKey, "robot-2")));
            await ProblemAssert.IsProblemAsync(wrongSubject, HttpStatusCode.BadRequest, "csr.subject_mismatch");
        }

        using var operatorClient = _server.Server.OperatorClient(OperatorRole.Operator);
        var revoke = await operatorClient.PostAsJsonAsync("api/v1/devices/robot-1/revoke", new { reason = "keyCompromise" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        using (var client = _server.DeviceClient(certificate))
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("probe/active"));
        }

        var lookup = (RevocationRegistry)_server.Server.Server.Services.GetService(typeof(RevocationRegistry))!;
        Assert.True(lookup.IsRevoked(certificate));
        Assert.True(await ((IDeviceRevocationLookup)lookup).IsRevokedAsync(certificate.SerialNumber));

        using var crlClient = _server.DeviceClient();
        var crl = await crlClient.GetByteArrayAsync("pki/crl.der");
        var loaded = CertificateRevocationListBuilder.Load(crl, out var crlNumber);
        Assert.True(crlNumber >= 1);
        Assert.True(loaded.RemoveEntry(Convert.FromHexString(certificate.SerialNumber)));
        var audit = await _server.Server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "device.certificate.renewed" && e.Payload.Contains(certificate.SerialNumber));
        Assert.Equal(2, audit.Count(e => e.Type == "device.certificate.revoked"));
    }

    [Fact]
    public async Task Lifecycle_state_gates_device_routes_and_a_decommissioned_device_cannot_enroll_again()
    {
        await _server.CreateGroupAsync("line-a");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await _server.EnrollAsync("robot-1", await _server.TokenAsync("line-a", "robot-1"), key);
        using var operatorClient = _server.Server.OperatorClient(OperatorRole.Operator);

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsJsonAsync("api/v1/devices/robot-1/quarantine", new { reason = "mirai scan" })).StatusCode);
        using (var client = _server.DeviceClient(certificate))
        {
            await ProblemAssert.IsProblemAsync(await client.GetAsync("probe/active"), HttpStatusCode.Forbidden, "device-forbidden");
            Assert.Equal("robot-1", await client.GetStringAsync("probe/quarantine-ok"));
        }

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync("api/v1/devices/robot-1/release", null)).StatusCode);
        using (var client = _server.DeviceClient(certificate))
        {
            Assert.Equal("robot-1", await client.GetStringAsync("probe/active"));
        }

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync("api/v1/devices/robot-1/decommission", null)).StatusCode);
        using (var client = _server.DeviceClient(certificate))
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("probe/quarantine-ok"));
        }

        var token = await _server.TokenAsync("line-a", "robot-1");
        using var enrollClient = _server.DeviceClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(key, "robot-1")) };
        request.Headers.Authorization = IdentityTestServer.Basic("robot-1", token);
        await ProblemAssert.IsProblemAsync(await enrollClient.SendAsync(request), HttpStatusCode.Forbidden, "device.decommissioned");
        Assert.Contains(await _server.Server.AuditEntriesAsync(), e => e.Type == "device.state.changed" && e.Payload.Contains("\"to\":\"decommissioned\""));
    }

    [Fact]
    public async Task A_factory_certificate_trusted_by_a_group_enrolls_without_a_token()
    {
        using var factoryKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var factoryRequest = new CertificateRequest("CN=Acme Factory Root", factoryKey, HashAlgorithmName.SHA256);
        factoryRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        factoryRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var factoryRoot = factoryRequest.CreateSelfSigned(TestServer.Start.AddYears(-1), TestServer.Start.AddYears(10));
        await _server.CreateGroupAsync("acme", factoryCaPem: factoryRoot.ExportCertificatePem());

        using var deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var idevidRequest = new CertificateRequest("CN=acme-0042, SERIALNUMBER=acme-0042", deviceKey, HashAlgorithmName.SHA256);
        using var idevid = idevidRequest.Create(factoryRoot, TestServer.Start.AddDays(-1), TestServer.Start.AddYears(5), [0x42]);
        using var idevidWithKey = X509CertificateLoader.LoadPkcs12(idevid.CopyWithPrivateKey(deviceKey).Export(X509ContentType.Pkcs12), null);

        using var client = _server.DeviceClient(idevidWithKey);
        using var fleetKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await client.PostAsync(".well-known/est/simpleenroll", IdentityTestServer.CsrBody(DeviceCertificateRequest.Create(fleetKey, "acme-0042")));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var issued = IdentityTestServer.WithKey(await response.Content.ReadAsStringAsync(), fleetKey);
        Assert.True(DeviceIdentityName.TryGetDeviceId(issued, out var id));
        Assert.Equal("acme-0042", id);

        // A factory certificate opens only the enrollment route, never a device route.
        await ProblemAssert.IsProblemAsync(await client.GetAsync("probe/active"), HttpStatusCode.Unauthorized, "device-unauthenticated");
    }

    private static byte[] TamperedCsr()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = DeviceCertificateRequest.Create(key, "robot-1");
        der[^1] ^= 0x01;
        return der;
    }

    private static byte[] RsaCsr(int bits)
    {
        using var rsa = RSA.Create(bits);
        return new CertificateRequest("CN=robot-1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
    }
}
