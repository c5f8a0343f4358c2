using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Identity;
using Fleetward.Core.Identity;
using Fleetward.Integration.Tests.Pki;
using Fleetward.Trust.Pki;

namespace Fleetward.Integration.Tests.Est;

/// <summary>
/// The agent's Enroller against the real server: enroll with a token, renew at the scheduled time, rotate the key
/// on demand, with the issuing key in an encrypted file or held in a SoftHSM2 token (non-exportable).
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class EnrollerAndHsmTests(SoftHsmToken hsm)
{
    [Fact]
    public async Task Enroller_enrolls_renews_and_rotates_its_key()
    {
        await using var plane = await EstControlPlane.StartAsync();
        await RunEnrollerAsync(plane, "robot-a1");
    }

    [Fact]
    public async Task An_hsm_held_issuing_key_issues_device_certificates_through_the_server_and_cannot_be_exported()
    {
        await using var plane = await EstControlPlane.StartAsync(hsm.KeyUri.ToString(), hsm.Pin);
        var certificate = await RunEnrollerAsync(plane, "robot-h1");

        using var issuing = X509Certificate2.CreateFromPem(File.ReadAllText(plane.IssuingCertificatePath));
        Assert.Equal(((ECDsa)hsm.Key).ExportSubjectPublicKeyInfo(), issuing.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        Assert.True(certificate.IssuerName.RawData.AsSpan().SequenceEqual(issuing.SubjectName.RawData));
        Assert.ThrowsAny<CryptographicException>(() => ((ECDsa)hsm.Key).ExportParameters(includePrivateParameters: true));
        Assert.ThrowsAny<CryptographicException>(() => ((ECDsa)hsm.Key).ExportPkcs8PrivateKey());
        Assert.DoesNotContain("issuing-key.pem", Directory.GetFiles(Path.Combine(plane.Directory, "data", "ca")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_device_key_held_in_pkcs11_enrolls_and_renews_over_mutual_tls()
    {
        await using var plane = await EstControlPlane.StartAsync();
        var token = await plane.TokenAsync("line-p", "robot-p1");
        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(plane.RootCertificatePath));
        var clock = new OffsetClock();
        var enroller = new Enroller(
            new EnrollerOptions(plane.DeviceUrl, "robot-p1", plane.File("agent-p1"), root, new Pkcs11DeviceKeyStore(hsm.KeyUri, hsm.Pin)),
            EnrollmentCredential.WithToken(token), clock, new Random(11));
        var (_, first) = await enroller.StepAsync(rotationForced: false, default);
        Assert.Equal(((ECDsa)hsm.Key).ExportSubjectPublicKeyInfo(), first!.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());

        // Renewal authenticates the TLS session with the HSM-held key.
        clock.Offset = TimeSpan.FromHours(19);
        var (renewal, renewed) = await enroller.StepAsync(rotationForced: false, default);
        Assert.Equal(RenewalAction.Reenroll, renewal.Action);
        Assert.NotEqual(first!.SerialNumber, renewed!.SerialNumber);
    }

    [Fact]
    public async Task Enroller_enrolls_with_a_factory_certificate_made_by_openssl()
    {
        await using var plane = await EstControlPlane.StartAsync();
        var dir = plane.Directory;
        CurlOpenSslEstTests.Shell(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout factory.key -subj '/O=Acme/CN=Acme Factory Root' -days 3650 -out factory.pem");
        CurlOpenSslEstTests.Shell(dir, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout idevid.key -subj '/O=Acme/CN=Acme R2/serialNumber=acme-42' -out idevid.csr");
        File.WriteAllText(plane.File("idevid.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
        CurlOpenSslEstTests.Shell(dir, "openssl x509 -req -in idevid.csr -CA factory.pem -CAkey factory.key -CAcreateserial -days 3650 -extfile idevid.ext -out idevid.pem");
        await plane.CreateFactoryGroupAsync("acme", File.ReadAllText(plane.File("factory.pem")));

        using var idevid = X509Certificate2.CreateFromPemFile(plane.File("idevid.pem"), plane.File("idevid.key"));
        using var factoryCredential = X509CertificateLoader.LoadPkcs12(idevid.Export(X509ContentType.Pkcs12), null);
        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(plane.RootCertificatePath));
        var state = plane.File("agent-acme-42");
        var enroller = new Enroller(
            new EnrollerOptions(plane.DeviceUrl, "acme-42", state, root, new FileDeviceKeyStore(Path.Combine(state, "device.key"))),
            EnrollmentCredential.WithFactoryCertificate(factoryCredential), TimeProvider.System, new Random(3));
        var (decision, certificate) = await enroller.StepAsync(rotationForced: false, default);
        Assert.Equal(RenewalAction.Enroll, decision.Action);
        Assert.True(DeviceIdentityName.TryGetDeviceId(certificate!, out var id));
        Assert.Equal("acme-42", id);
    }

    private static async Task<X509Certificate2> RunEnrollerAsync(EstControlPlane plane, string deviceId)
    {
        var token = await plane.TokenAsync("line-e", deviceId);
        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(plane.RootCertificatePath));
        var clock = new OffsetClock();
        var state = plane.File("agent-" + deviceId);
        var enroller = new Enroller(
            new EnrollerOptions(plane.DeviceUrl, deviceId, state, root, new FileDeviceKeyStore(Path.Combine(state, "device.key"))),
            EnrollmentCredential.WithToken(token), clock, new Random(7));

        var (decision, first) = await enroller.StepAsync(rotationForced: false, default);
        Assert.Equal(RenewalAction.Enroll, decision.Action);
        Assert.NotNull(first);
        Assert.Equal(RenewalAction.Wait, enroller.Decide().Action);

        using var verifier = new X509Chain();
        using var issuing = X509Certificate2.CreateFromPem(File.ReadAllText(plane.IssuingCertificatePath));
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.CustomTrustStore.Add(root);
        verifier.ChainPolicy.ExtraStore.Add(issuing);
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(verifier.Build(first));

        // Past the renewal time (2/3 of 24 h plus at most 5 % jitter), the next step re-enrolls over mutual TLS with the same key.
        clock.Offset = TimeSpan.FromHours(19);
        var (renewal, renewed) = await enroller.StepAsync(rotationForced: false, default);
        Assert.Equal(RenewalAction.Reenroll, renewal.Action);
        Assert.NotEqual(first.SerialNumber, renewed!.SerialNumber);
        Assert.Equal(first.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo(), renewed.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());

        // A forced rotation re-enrolls at once with a new key.
        clock.Offset = TimeSpan.Zero;
        var (rotation, rotated) = await enroller.StepAsync(rotationForced: true, default);
        Assert.Equal(RenewalAction.Reenroll, rotation.Action);
        Assert.NotEqual(renewed.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo(), rotated!.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        Assert.True(DeviceIdentityName.TryGetDeviceId(rotated!, out var id));
        Assert.Equal(deviceId, id);
        return rotated!;
    }

    private sealed class OffsetClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }
}
