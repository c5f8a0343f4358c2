using Fleetward.Core.Releases;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Server.Updates;

/// <summary>
/// The private keys the server holds: online keys (snapshot, timestamp) and, in a development setup, the targets and
/// security-channel keys. Which role a key signs for is not configured: a key signs for a role exactly when the
/// current metadata lists it for that role, so a key rotation is done by installing the key file and rotating root.
/// Never holds a root key: root metadata is signed offline and uploaded.
/// </summary>
public sealed class TufKeyring(IReadOnlyList<ITufSigner> signers)
{
    public const string PassphraseVariable = "FLEETWARD_TUF_KEY_PASSPHRASE";
    public const string PinVariable = "FLEETWARD_PKCS11_PIN";

    public IReadOnlyList<ITufSigner> Signers { get; } = signers;

    /// <summary>
    /// Loads every <c>*.key</c> and <c>*.pkcs11</c> file of the keys directory and the development keys directory,
    /// except the development root key, which the server must not use (it never signs root in any case: root is only
    /// ever uploaded, signed elsewhere).
    /// </summary>
    public static TufKeyring Load(UpdatesDirectory directory, Func<string, string?> environment)
    {
        var signers = new List<ITufSigner>();
        foreach (var folder in new[] { directory.KeysDirectory, directory.DevelopmentKeysDirectory })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (folder == directory.DevelopmentKeysDirectory && name == DevelopmentKeySet.RootKeyFileName) continue;
                if (name.EndsWith(".key", StringComparison.Ordinal))
                    signers.Add(TufKeyFile.Open(file, () => environment(PassphraseVariable)));
                else if (name.EndsWith(".pkcs11", StringComparison.Ordinal))
                    signers.Add(TufKeyFile.Open(File.ReadAllText(file).Trim(), () => environment(PinVariable)));
            }
        }
        return new TufKeyring(signers);
    }

    /// <summary>
    /// The signers whose key, under any class marker, is among <paramref name="authorized"/> (as listed, with its marker),
    /// or null when fewer than <paramref name="threshold"/> are at hand.
    /// </summary>
    public IReadOnlyList<ITufSigner>? SignersFor(IEnumerable<string> authorized, IReadOnlyDictionary<string, TufKey> keys, int threshold)
    {
        var ids = authorized.ToHashSet(StringComparer.Ordinal);
        var found = new List<ITufSigner>();
        foreach (var signer in Signers)
        {
            foreach (var keyClass in Enum.GetValues<SigningKeyClass>())
            {
                var marked = SigningKeyMarker.Mark(signer.PublicKey, keyClass);
                if (ids.Contains(marked.KeyId) && keys.ContainsKey(marked.KeyId))
                {
                    found.Add(new MarkedTufSigner(signer, keyClass));
                    break;
                }
            }
        }
        return found.Count >= threshold && found.Count > 0 ? found : null;
    }

    public IReadOnlyList<ITufSigner>? SignersFor(TufRoleKeys role, IReadOnlyDictionary<string, TufKey> keys) =>
        SignersFor(role.KeyIds, keys, role.Threshold);
}
