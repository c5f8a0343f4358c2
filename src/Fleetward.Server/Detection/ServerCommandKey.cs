using System.Security.Cryptography;
using Fleetward.Trust.Commands;

namespace Fleetward.Server.Detection;

/// <summary>
/// The server's command signing key (ECDSA P-256). Devices trust its public key and obey only commands it signed,
/// so it lives in the data directory readable by the server's user alone (mode 0600) and is never exported.
/// </summary>
public sealed class ServerCommandKey : IDisposable
{
    private ServerCommandKey(ECDsa key, bool persistent)
    {
        Key = key;
        IsPersistent = persistent;
        KeyId = CommandKeyId.Of(key);
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    public ECDsa Key { get; }

    /// <summary>False for a key that lives only in memory (a server without a data directory, e.g. tests).</summary>
    public bool IsPersistent { get; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo, as in the DSSE envelope's keyid.</summary>
    public string KeyId { get; }

    /// <summary>The public key as a PEM SubjectPublicKeyInfo: what agents pin.</summary>
    public string PublicKeyPem { get; }

    /// <summary>A fresh key held only in memory: commands it signs stop verifying once the process ends.</summary>
    public static ServerCommandKey Ephemeral() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), persistent: false);

    /// <summary>Creates a new key file (PKCS#8 PEM) with mode 0600; refuses to overwrite an existing one.</summary>
    public static ServerCommandKey Create(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
        return new ServerCommandKey(key, persistent: true);
    }

    /// <summary>Loads the key file; a key that is not P-256 is refused, as devices would refuse its signatures.</summary>
    /// <exception cref="CryptographicException">The file does not hold an ECDSA P-256 private key.</exception>
    public static ServerCommandKey Load(string path)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(path));
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new CryptographicException($"{path}: the command key must be ECDSA P-256.");
        }
        return new ServerCommandKey(key, persistent: true);
    }

    public void Dispose() => Key.Dispose();
}
