using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// Turns a CA key (a software key, or an HSM key behind ECDsaOpenSsl) into an X.509 signature generator with the
/// hash that matches its strength, so CA code never needs the key to be exportable or to sit in an X509Certificate2.
/// </summary>
internal static class CertificateSigner
{
    public static (X509SignatureGenerator Generator, HashAlgorithmName Hash) For(AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key switch
        {
            ECDsa ec => (X509SignatureGenerator.CreateForECDsa(ec), ec.KeySize switch
            {
                <= 256 => HashAlgorithmName.SHA256,
                <= 384 => HashAlgorithmName.SHA384,
                _ => HashAlgorithmName.SHA512,
            }),
            RSA rsa => (X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256),
            _ => throw new ArgumentException($"CA keys must be ECDSA or RSA, not {key.GetType().Name}.", nameof(key)),
        };
    }

    public static PublicKey PublicKeyOf(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new PublicKey(ec),
        RSA rsa => new PublicKey(rsa),
        _ => throw new ArgumentException($"CA keys must be ECDSA or RSA, not {key.GetType().Name}.", nameof(key)),
    };

    /// <summary>Proves <paramref name="key"/> is the private half of <paramref name="certificate"/> by signing and verifying a probe.</summary>
    public static bool Matches(AsymmetricAlgorithm key, X509Certificate2 certificate)
    {
        var probe = "fleetward-ca-key-probe"u8.ToArray();
        switch (key)
        {
            case ECDsa ec:
                using (var pub = certificate.GetECDsaPublicKey())
                {
                    return pub is not null && pub.VerifyData(probe, ec.SignData(probe, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256);
                }

            case RSA rsa:
                using (var pub = certificate.GetRSAPublicKey())
                {
                    return pub is not null && pub.VerifyData(
                        probe,
                        rsa.SignData(probe, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                        HashAlgorithmName.SHA256,
                        RSASignaturePadding.Pkcs1);
                }

            default:
                return false;
        }
    }

    /// <summary>RFC 5280 4.1.2.2: a positive integer of at most 20 octets; 16 random octets (128 bits) with the top bit cleared.</summary>
    public static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        if (serial[0] == 0)
        {
            // Keep the DER encoding exactly 16 octets and never zero (a leading zero octet would be dropped).
            serial[0] = 0x01;
        }

        return serial;
    }
}
