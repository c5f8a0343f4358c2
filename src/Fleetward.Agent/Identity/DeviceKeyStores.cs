using System.Security.Cryptography;
using Fleetward.Trust.Keys;

namespace Fleetward.Agent.Identity;

/// <summary>Where the device's TLS identity key lives. The enroller only ever asks for the current key or a fresh one.</summary>
public interface IDeviceKeyStore
{
    /// <summary>The current key, created on first use.</summary>
    ECDsa Current();

    /// <summary>Replaces the key with a new one (forced rotation); a store that cannot (an HSM key made at the factory) returns the current key.</summary>
    ECDsa Rotate();
}

/// <summary>
/// A P-256 key in a file readable only by the agent (mode 0600), encrypted (PKCS#8 PBES2) when a passphrase is given.
/// Rotation writes the new key durably before it is used, so a power loss leaves the old or the new key, never none.
/// </summary>
public sealed class FileDeviceKeyStore(string path, string? passphrase = null) : IDeviceKeyStore
{
    public ECDsa Current()
    {
        if (!File.Exists(path))
        {
            return Rotate();
        }

        var pem = File.ReadAllText(path);
        if (passphrase is null)
        {
            var key = ECDsa.Create();
            key.ImportFromPem(pem);
            return key;
        }

        var opened = EncryptedKeyFile.Open(pem, passphrase);
        return opened.IsSuccess
            ? opened.Value as ECDsa ?? throw new InvalidOperationException($"{path} holds a key that is not ECDSA.")
            : throw new InvalidOperationException($"{path}: {opened.Error.Message}");
    }

    public ECDsa Rotate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = passphrase is null ? key.ExportPkcs8PrivateKeyPem() : EncryptedKeyFile.Protect(key, passphrase);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        DurableFile.WriteAllText(path, pem + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}

/// <summary>A key generated inside the device's PKCS#11 token (never exportable); rotation keeps it, since only the factory provisions it.</summary>
public sealed class Pkcs11DeviceKeyStore(Pkcs11KeyUri uri, string pin) : IDeviceKeyStore
{
    public ECDsa Current() =>
        Pkcs11KeyStore.OpenPrivateKey(uri, pin) as ECDsa ?? throw new InvalidOperationException($"{uri} is not an EC key.");

    public ECDsa Rotate() => Current();
}
