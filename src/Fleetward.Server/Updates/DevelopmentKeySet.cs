using Fleetward.Core.Ports;
using Fleetward.Core.Releases;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Server.Updates;

/// <summary>
/// The quick start's update repository: `fleetward init` generates one key per role (root, targets, snapshot,
/// timestamp, and the security channel's delegated role), every one marked as a development key
/// (<see cref="SigningKeyMarker"/>), and publishes version 1 of every role. Production devices refuse targets these keys
/// vouch for. Going to production is a root rotation to offline production keys (docs/updates.md).
/// </summary>
public static class DevelopmentKeySet
{
    public const string Warning =
        "DEVELOPMENT KEYS ONLY. These private keys sign this server's quick-start update repository. They are stored\n" +
        "unencrypted and every public key is marked \"x-fleetward-key-class\": \"development\" in the TUF metadata, so\n" +
        "devices configured as production devices refuse whatever they sign. Never use them for a real fleet: rotate\n" +
        "root to offline production keys first (see docs/updates.md, \"From development to production keys\").\n";

    /// <summary>The development root key's file name in the development keys directory; the server never loads it.</summary>
    public const string RootKeyFileName = "root.key";

    /// <summary>Where the quick start's first root is written for provisioning devices (`fleetward agent tuf init`).</summary>
    public static string RootFilePath(UpdatesDirectory directory) => Path.Combine(directory.Root, "1.root.json");

    public static async Task CreateAsync(UpdatesDirectory directory, IFleetStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (directory.Exists) throw new InvalidOperationException($"{directory.SettingsPath} already exists");
        Directory.CreateDirectory(directory.KeysDirectory);
        Directory.CreateDirectory(directory.DevelopmentKeysDirectory);
        Directory.CreateDirectory(directory.TargetsDirectory);
        File.WriteAllText(Path.Combine(directory.DevelopmentKeysDirectory, "README-DEVELOPMENT-ONLY.txt"), Warning);

        var keys = new Dictionary<string, ITufSigner>(StringComparer.Ordinal);
        foreach (var (role, folder) in new[]
        {
            (TufRoles.Root, directory.DevelopmentKeysDirectory), (TufRoles.Targets, directory.DevelopmentKeysDirectory),
            (ReleaseTarget.SecurityRole, directory.DevelopmentKeysDirectory),
            (TufRoles.Snapshot, directory.KeysDirectory), (TufRoles.Timestamp, directory.KeysDirectory),
        })
        {
            var material = TufKeyFile.Generate("ed25519");
            TufKeyFile.Write(Path.Combine(folder, role + ".key"), material);
            keys[role] = new MarkedTufSigner(material.Signer, SigningKeyClass.Development);
        }

        var settings = new UpdatesSettings();
        var now = time.GetUtcNow();
        var roles = TufRoles.TopLevel.ToDictionary(r => r, r => new TufRoleSigners([keys[r]], 1), StringComparer.Ordinal);
        var builder = TufRepositoryBuilder.Initialize(roles, now, settings.Expiry);
        var security = keys[ReleaseTarget.SecurityRole];
        builder.Delegate(TufRoles.Targets, new DelegatedRole
        {
            Name = ReleaseTarget.SecurityRole,
            Keys = new TufRoleAssignment([security.PublicKey], 1).ToRoleKeys(),
            Terminating = true,
            Paths = ReleaseTarget.SecurityPaths,
        }, [security.PublicKey], [security]);
        builder.Publish(now);
        await TufRepositoryService.SaveNewAsync(store, builder, "fleetward-init", now, cancellationToken);
        await File.WriteAllBytesAsync(RootFilePath(directory), builder.Root.ToBytes(), cancellationToken);
        settings.Save(directory);
    }
}
