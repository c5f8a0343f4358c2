namespace Fleetward.Trust.Crypto;

/// <summary>
/// Something that can sign TUF metadata with one key. Keeping signing behind this interface lets the private key live
/// in memory for tests, in a file keystore, or in a PKCS#11 HSM (an <see cref="System.Security.Cryptography.ECDsa"/>
/// opened through the OpenSSL pkcs11 engine) without the repository code knowing which.
/// </summary>
public interface ITufSigner
{
    /// <summary>The public key as it is listed in metadata; its <see cref="TufKey.KeyId"/> goes into the signature.</summary>
    TufKey PublicKey { get; }

    /// <summary>Signs the canonical bytes of a <c>signed</c> object with the key's scheme.</summary>
    byte[] Sign(ReadOnlySpan<byte> data);
}
