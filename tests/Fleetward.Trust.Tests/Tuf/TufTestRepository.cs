using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

/// <summary>A freshly keyed repository for tests: one throw-away Ed25519 key per role, version 1 of everything published.</summary>
internal sealed class TufTestRepository
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public TufTestRepository(bool consistentSnapshot = true)
    {
        Signers = TufRoles.TopLevel.ToDictionary(r => r, _ => (ITufSigner)Ed25519TufSigner.Generate());
        Builder = TufRepositoryBuilder.Initialize(
            Signers.ToDictionary(p => p.Key, p => new TufRoleSigners([p.Value], 1)), Start, consistentSnapshot: consistentSnapshot);
        InitialRoot = Builder.Root.ToBytes();
    }

    public Dictionary<string, ITufSigner> Signers { get; }
    public TufRepositoryBuilder Builder { get; }
    public byte[] InitialRoot { get; }

    public byte[] Timestamp => Builder.Timestamp!.ToBytes();
    public byte[] Snapshot => Builder.Snapshot!.ToBytes();
    public byte[] Targets => Builder.TargetsRoles[TufRoles.Targets].ToBytes();

    public TrustedMetadataSet NewTrustedSet(DateTimeOffset? now = null) => new(InitialRoot, now ?? Start);

    /// <summary>A set with timestamp and snapshot of the current repository loaded.</summary>
    public TrustedMetadataSet LoadedThroughSnapshot(DateTimeOffset? now = null)
    {
        var set = NewTrustedSet(now);
        set.UpdateTimestamp(Timestamp);
        set.UpdateSnapshot(Snapshot);
        return set;
    }

    public static byte[] Sign<T>(T metadata, params ITufSigner[] signers) where T : TufRoleMetadata, ITufRoleParser<T> =>
        SignedMetadata<T>.Create(metadata, signers).ToBytes();

    public void PublishTarget(string path, byte[] content, DateTimeOffset? now = null)
    {
        Builder.AddTarget(path, TargetFileInfo.FromContent(content));
        Builder.Publish(now ?? Start);
    }
}
