using System.Security.Cryptography;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Audit;

/// <summary>
/// The log's signing key on disk. Ed25519 (the default, C2SP signed-note type 0x01) is kept in the signer key text
/// form of golang.org/x/mod/sumdb/note, "PRIVATE+KEY+origin+hash+base64(0x01 || seed)", which carries the origin as
/// the key name; an ECDSA P-256 key (type 0x02, e.g. exported from an HSM workflow) is a PKCS#8 PEM file and takes
/// its origin from the configuration. The file is secret (mode 0600); its public half (vkey) is what auditors pin.
/// </summary>
public static class AuditLogKeyFile
{
    /// <summary>The log origin for this host: "&lt;name&gt;/fleetward-audit" (tlog-checkpoint: a schema-less URL-like name).</summary>
    public static string DefaultOrigin(string hostName)
    {
        var name = new string(hostName.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-').ToArray());
        return (name.Length == 0 ? "localhost" : name) + "/fleetward-audit";
    }

    /// <summary>Creates a fresh Ed25519 log key at <paramref name="keyPath"/> (created exclusively, mode 0600) and its vkey at <paramref name="verifierKeyPath"/>.</summary>
    public static NoteVerifierKey Create(string keyPath, string verifierKeyPath, string origin)
    {
        var signer = Ed25519NoteSigner.Generate(origin);
        WriteExclusive(keyPath, signer.ToSignerKey() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteExclusive(verifierKeyPath, signer.VerifierKey + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return signer.VerifierKey;
    }

    /// <summary>
    /// Loads the signer from <paramref name="keyPath"/>. <paramref name="origin"/> is required for an ECDSA PEM key and,
    /// when given for an Ed25519 key, must equal the name in the file.
    /// </summary>
    /// <exception cref="FormatException">The file is neither form, or the origin is missing or differs; the message says which.</exception>
    public static INoteSigner Load(string keyPath, string? origin)
    {
        var text = File.ReadAllText(keyPath).Trim();
        if (text.StartsWith("PRIVATE+KEY+", StringComparison.Ordinal))
        {
            var signer = Ed25519NoteSigner.ParseSignerKey(text);
            if (origin is not null && origin != signer.VerifierKey.Name)
            {
                throw new FormatException($"the key in {keyPath} is named '{signer.VerifierKey.Name}' but the configured origin is '{origin}'; a log key is named after its origin.");
            }
            return signer;
        }
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            if (origin is null)
            {
                throw new FormatException($"{keyPath} is a PEM key, which does not carry the log's origin: set audit.origin.");
            }
            var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportFromPem(text);
            }
            catch (ArgumentException e)
            {
                ecdsa.Dispose();
                throw new FormatException($"{keyPath} holds no ECDSA private key: {e.Message}");
            }
            if (ecdsa.ExportParameters(false).Curve.Oid.Value != "1.2.840.10045.3.1.7")
            {
                ecdsa.Dispose();
                throw new FormatException($"{keyPath}: an ECDSA log key must be on P-256.");
            }
            return new EcdsaNoteSigner(origin, ecdsa);
        }
        throw new FormatException($"{keyPath} is neither an Ed25519 signer key (PRIVATE+KEY+...) nor a PEM ECDSA P-256 private key.");
    }

    private static void WriteExclusive(string path, string text, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
