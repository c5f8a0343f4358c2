using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Integration.Tests.Tuf;

/// <summary>A Fleetward-built repository (ECDSA root and targets keys, Ed25519 online keys) laid out as a mirror serves it.</summary>
internal sealed class FleetwardTestRepository
{
    public FleetwardTestRepository(DateTimeOffset now)
    {
        Signers = new Dictionary<string, ITufSigner>
        {
            [TufRoles.Root] = EcdsaTufSigner.Generate(),
            [TufRoles.Targets] = EcdsaTufSigner.Generate(),
            [TufRoles.Snapshot] = Ed25519TufSigner.Generate(),
            [TufRoles.Timestamp] = Ed25519TufSigner.Generate(),
        };
        Builder = TufRepositoryBuilder.Initialize(Signers.ToDictionary(p => p.Key, p => new TufRoleSigners([p.Value], 1)), now);
    }

    public Dictionary<string, ITufSigner> Signers { get; }
    public TufRepositoryBuilder Builder { get; }
    public Dictionary<string, byte[]> Targets { get; } = new(StringComparer.Ordinal);

    public byte[] RootFile => Builder.RootHistory[0].ToBytes();

    public TargetFileInfo AddTarget(string path, byte[] content, long securityVersion)
    {
        var info = TargetFileInfo.FromContent(content, TargetSecurityVersion.Custom(securityVersion));
        Builder.AddTarget(path, info);
        foreach (var name in info.RepositoryPaths(path, consistentSnapshot: true)) Targets[name] = content;
        return info;
    }

    /// <summary>Serves <c>metadata/NAME</c> and <c>targets/PATH</c>.</summary>
    public byte[]? Serve(string path) =>
        path.StartsWith("metadata/", StringComparison.Ordinal) ? Builder.MetadataFiles.GetValueOrDefault(path["metadata/".Length..])
        : path.StartsWith("targets/", StringComparison.Ordinal) ? Targets.GetValueOrDefault(path["targets/".Length..])
        : null;
}
