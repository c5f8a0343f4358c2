using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Server.Devices;

/// <summary>
/// Decides, during the TLS handshake of the device listener, whether a client certificate is a
/// device identity this server accepts. Called for every handshake, so it must not do I/O on the
/// hot path (keep CA certificates and revocation data in memory). <paramref name="policyErrors"/> are
/// the platform's opinion against the system trust store, which knows nothing of the device CA:
/// a validator builds its own chain (custom root trust) rather than trusting or rejecting on them.
/// </summary>
public interface IDeviceCertificateValidator
{
    DeviceCertificateDecision Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors policyErrors);
}

/// <summary>The outcome of a device certificate check; a refusal says why, for the log and the audit trail.</summary>
public sealed record DeviceCertificateDecision(bool Accepted, string Reason)
{
    public static DeviceCertificateDecision Accept(string reason) => new(true, reason);

    public static DeviceCertificateDecision Refuse(string reason) => new(false, reason);
}

/// <summary>
/// The validator in force until a device certificate authority is configured: the device listener
/// then admits no one, which is the only safe answer when no trust anchor exists.
/// </summary>
public sealed class NoDeviceCertificateAuthority : IDeviceCertificateValidator
{
    public DeviceCertificateDecision Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors policyErrors) =>
        DeviceCertificateDecision.Refuse("no device certificate authority is configured on this server");
}
