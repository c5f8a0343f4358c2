using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// The PKCS#10 request a Fleetward agent sends to /simpleenroll and /simplereenroll: subject CN = device id and
/// SAN URI urn:fleetward:device:&lt;id&gt;, encoded exactly as the CA encodes them, so a re-enrollment request is
/// identical to the current certificate as RFC 7030 4.2.2 demands. Works with HSM keys (ECDsaOpenSsl) too.
/// </summary>
public static class DeviceCertificateRequest
{
    public static byte[] Create(AsymmetricAlgorithm key, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(key);
        DeviceIdentityName.RequireValid(deviceId);
        var subject = DeviceIdentityName.ToSubject(deviceId);
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException($"Device keys must be ECDSA or RSA, not {key.GetType().Name}.", nameof(key)),
        };
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(DeviceIdentityName.ToUri(deviceId)));
        request.CertificateExtensions.Add(san.Build(critical: false));
        return request.CreateSigningRequest();
    }
}
