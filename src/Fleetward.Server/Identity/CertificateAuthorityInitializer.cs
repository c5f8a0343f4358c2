using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Server.Configuration;
using Fleetward.Trust.Keys;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>What `fleetward ca init` produced.</summary>
public sealed record InitializedCertificateAuthority(string RootCertificatePath, string RootKeyPath, string IssuingCertificatePath, string IssuingKey, string RootSha256);

/// <summary>
/// Creates the fleet's device CA in a data directory: an offline root whose key is written only to an encrypted file
/// the operator then moves offline (the server never reads it), and an online issuing CA signed by it whose key is in
/// an encrypted file (passphrase given to the server by environment) or already in a PKCS#11 token.
/// </summary>
public static class CertificateAuthorityInitializer
{
    public const int MinimumPassphraseLength = 12;

    public static InitializedCertificateAuthority Initialize(
        DataDirectory directory,
        string rootKeyOut,
        string rootPassphrase,
        string? issuingPkcs11Uri,
        string issuingPassphraseOrPin,
        DateTimeOffset now)
    {
        var configuration = ConfigurationFile.Load(directory);
        if (configuration.CertificateAuthority is not null)
        {
            throw new InvalidOperationException($"{directory.ConfigurationPath} already records a device CA; nothing was changed.");
        }

        if (rootPassphrase.Length < MinimumPassphraseLength)
        {
            throw new ArgumentException($"The root key passphrase must have at least {MinimumPassphraseLength} characters.");
        }

        if (issuingPkcs11Uri is null && issuingPassphraseOrPin.Length < MinimumPassphraseLength)
        {
            throw new ArgumentException($"The issuing key passphrase must have at least {MinimumPassphraseLength} characters.");
        }

        var caDirectory = Path.Combine(directory.Root, "ca");
        var rootCertificatePath = Path.Combine(caDirectory, "root.crt");
        var issuingCertificatePath = Path.Combine(caDirectory, "issuing.crt");
        var issuingKeyPath = Path.Combine(caDirectory, "issuing-key.pem");
        foreach (var existing in new[] { rootCertificatePath, issuingCertificatePath, issuingKeyPath, rootKeyOut })
        {
            if (File.Exists(existing))
            {
                throw new InvalidOperationException($"{existing} already exists; nothing was changed.");
            }
        }

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var root = CertificateAuthorityHierarchy.CreateRoot(rootKey, new X500DistinguishedName("CN=Fleetward Device Root CA"), now);
        AsymmetricAlgorithm issuingKey = issuingPkcs11Uri is null
            ? ECDsa.Create(ECCurve.NamedCurves.nistP256)
            : Pkcs11KeyStore.OpenPrivateKey(Pkcs11KeyUri.Parse(issuingPkcs11Uri), issuingPassphraseOrPin);
        using (issuingKey)
        {
            var issuingPublicKey = issuingKey is ECDsa ec ? new PublicKey(ec) : new PublicKey((RSA)issuingKey);
            using var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, rootKey, issuingPublicKey, new X500DistinguishedName("CN=Fleetward Device Issuing CA"), now);

            Directory.CreateDirectory(caDirectory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(caDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            WritePrivate(rootKeyOut, EncryptedKeyFile.Protect(rootKey, rootPassphrase));
            File.WriteAllText(rootCertificatePath, root.ExportCertificatePem() + "\n");
            File.WriteAllText(issuingCertificatePath, issuing.ExportCertificatePem() + "\n");
            if (issuingPkcs11Uri is null)
            {
                WritePrivate(issuingKeyPath, EncryptedKeyFile.Protect(issuingKey, issuingPassphraseOrPin));
            }

            var issuingKeyReference = issuingPkcs11Uri ?? issuingKeyPath;
            ConfigurationFile.SetCertificateAuthority(directory, rootCertificatePath, issuingCertificatePath, issuingKeyReference);
            return new InitializedCertificateAuthority(rootCertificatePath, Path.GetFullPath(rootKeyOut), issuingCertificatePath, issuingKeyReference,
                root.GetCertHashString(HashAlgorithmName.SHA256));
        }
    }

    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(pem.EndsWith('\n') ? pem : pem + "\n"));
    }
}
