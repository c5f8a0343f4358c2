using System.Security.Cryptography;

namespace Fleetward.Trust.Keys;

/// <summary>
/// Opens an HSM-held private key as an ordinary .NET <see cref="ECDsa"/> or <see cref="RSA"/> through OpenSSL's
/// pkcs11 engine (libp11), so CA and TLS code sign with it unchanged while the key never leaves the token. The
/// module is found the engine's way (p11-kit proxy; for SoftHSM2 only SOFTHSM2_CONF is needed). Linux only.
/// </summary>
public static class Pkcs11KeyStore
{
    public const string EngineName = "pkcs11";

    /// <summary>Opens the key; the caller disposes it. Fails with a message naming token and object but never the PIN.</summary>
    public static AsymmetricAlgorithm OpenPrivateKey(Pkcs11KeyUri uri, ReadOnlySpan<char> pin)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("PKCS#11 keys are opened through the OpenSSL engine, which Fleetward supports on Linux only.");
        }

        SafeEvpPKeyHandle handle;
        try
        {
            handle = SafeEvpPKeyHandle.OpenPrivateKeyFromEngine(EngineName, uri.ToEngineUri(pin));
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"Cannot open {uri} through the OpenSSL '{EngineName}' engine (is libengine-pkcs11-openssl installed, the token present and the PIN right?): {e.Message}", e);
        }

        using (handle)
        {
            try
            {
                return new ECDsaOpenSsl(handle);
            }
            catch (CryptographicException)
            {
                // Not an EC key: the handle may still hold RSA.
            }

            try
            {
                return new RSAOpenSsl(handle);
            }
            catch (CryptographicException e)
            {
                throw new CryptographicException($"{uri} is neither an EC nor an RSA key.", e);
            }
        }
    }
}
