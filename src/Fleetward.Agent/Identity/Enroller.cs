using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Identity;
using Fleetward.Trust.Pki;

namespace Fleetward.Agent.Identity;

/// <summary>How a device first proves itself: a one-time token (HTTP Basic) or its factory certificate with key (TLS).</summary>
public sealed record EnrollmentCredential(string? Token, X509Certificate2? FactoryCertificate)
{
    public static EnrollmentCredential WithToken(string token) => new(token, null);

    public static EnrollmentCredential WithFactoryCertificate(X509Certificate2 certificate) => new(null, certificate);
}

/// <summary>What the enroller needs: where the server is, who the device is, where its state lives, and the fleet root it pins.</summary>
public sealed record EnrollerOptions(Uri Server, string DeviceId, string StateDirectory, X509Certificate2 FleetRoot, IDeviceKeyStore Keys);

/// <summary>
/// The device's identity lifecycle: enrolls over EST (token or factory certificate), keeps the certificate on disk,
/// renews at about two thirds of its lifetime with jitter (<see cref="CertificateRenewalSchedule"/>), re-enrolls
/// with a new key when rotation is forced, and falls back to enrollment when the certificate has expired.
/// </summary>
public sealed class Enroller(EnrollerOptions options, EnrollmentCredential credential, TimeProvider time, Random random)
{
    private CertificateRenewalSchedule? _schedule;

    public string CertificatePath => Path.Combine(options.StateDirectory, "device.crt");

    /// <summary>The stored certificate joined with its key, or null before the first enrollment.</summary>
    public X509Certificate2? Current()
    {
        if (!File.Exists(CertificatePath))
        {
            return null;
        }

        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        using var key = options.Keys.Current();
        return DeviceTlsClient.Join(certificate, key);
    }

    /// <summary>What to do now, from the stored certificate and the renewal schedule.</summary>
    public RenewalDecision Decide(bool rotationForced = false)
    {
        using var current = Current();
        if (current is null)
        {
            return CertificateRenewalSchedule.WithoutCertificate(time.GetUtcNow());
        }

        var notBefore = new DateTimeOffset(current.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(current.NotAfter.ToUniversalTime());
        if (_schedule is null || _schedule.NotBefore != notBefore || _schedule.NotAfter != notAfter)
        {
            _schedule = CertificateRenewalSchedule.For(notBefore, notAfter, random);
        }

        return _schedule.Decide(time.GetUtcNow(), rotationForced);
    }

    /// <summary>
    /// Runs one step of the schedule: enroll, re-enroll or nothing. Returns the decision taken and the certificate in
    /// force afterwards; a 202 (manual approval) returns null with the decision's At set to when to try again.
    /// </summary>
    public async Task<(RenewalDecision Decision, X509Certificate2? Certificate)> StepAsync(bool rotationForced, CancellationToken cancellationToken)
    {
        var decision = Decide(rotationForced);
        switch (decision.Action)
        {
            case RenewalAction.Wait:
                return (decision, Current());
            case RenewalAction.Enroll:
                {
                    using var key = options.Keys.Current();
                    using var http = credential.FactoryCertificate is { } factory
                        ? DeviceTlsClient.Create(options.Server, options.FleetRoot, factory)
                        : DeviceTlsClient.Create(options.Server, options.FleetRoot, null);
                    var result = await new EstClient(http).SimpleEnrollAsync(
                        DeviceCertificateRequest.Create(key, options.DeviceId),
                        credential.Token is null ? null : options.DeviceId,
                        credential.Token,
                        cancellationToken);
                    return Store(decision, result, key);
                }

            default:
                {
                    using var current = Current()!;
                    using var http = DeviceTlsClient.Create(options.Server, options.FleetRoot, current);
                    using var key = rotationForced ? options.Keys.Rotate() : options.Keys.Current();
                    var result = await new EstClient(http).SimpleReenrollAsync(DeviceCertificateRequest.Create(key, options.DeviceId), cancellationToken);
                    return Store(decision, result, key);
                }
        }
    }

    private (RenewalDecision, X509Certificate2?) Store(RenewalDecision decision, EstEnrollment result, ECDsa key)
    {
        if (result.Certificate is not { } certificate)
        {
            return (decision with { At = time.GetUtcNow() + result.RetryAfter!.Value }, null);
        }

        using (certificate)
        {
            Directory.CreateDirectory(options.StateDirectory);
            DurableFile.WriteAllText(CertificatePath, certificate.ExportCertificatePem() + "\n");
            _schedule = null;
            return (decision, DeviceTlsClient.Join(certificate, key));
        }
    }
}

/// <summary>
/// HttpClients for the device listener: the server must chain to the fleet root (nothing else is trusted), and the
/// device presents its certificate for mutual TLS 1.3. Check-in, telemetry and the TUF updater reuse it.
/// </summary>
public static class DeviceTlsClient
{
    public static HttpClient Create(Uri server, X509Certificate2 fleetRoot, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        handler.SslOptions.EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, sentChain, errors) =>
        {
            if (presented is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(fleetRoot);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            // RFC 5280 4.2.1.12: the fleet CA also issues device (clientAuth) certificates; only one issued for a TLS
            // server (id-kp-serverAuth) may speak for the server.
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1", "serverAuth"));
            if (sentChain is not null)
            {
                // The intermediates the server sent (its issuing CA): candidates only, trust still ends at the fleet root.
                chain.ChainPolicy.ExtraStore.AddRange(sentChain.ChainPolicy.ExtraStore);
                chain.ChainPolicy.ExtraStore.AddRange(sentChain.ChainElements.Select(e => e.Certificate).ToArray());
            }

            return chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The certificate with its private key attached, in a form SslStream on Linux can present.</summary>
    public static X509Certificate2 Join(X509Certificate2 certificate, ECDsa key)
    {
        if (key is ECDsaOpenSsl)
        {
            // An HSM key cannot be exported into PKCS#12: the certificate keeps a reference to the engine key instead.
            return certificate.CopyWithPrivateKey(key);
        }

        using var joined = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(joined.Export(X509ContentType.Pkcs12), null);
    }
}
