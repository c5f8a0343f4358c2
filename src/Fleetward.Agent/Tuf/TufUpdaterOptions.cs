namespace Fleetward.Agent.Tuf;

/// <summary>
/// Limits that keep a hostile repository or mirror from exhausting the device (endless data, slow retrieval, delegation
/// loops). Defaults follow python-tuf's updater configuration.
/// </summary>
public sealed record TufUpdaterOptions
{
    /// <summary>TUF spec 5.3.3: at most this many root versions are applied in one update.</summary>
    public int MaxRootRotations { get; init; } = 32;

    /// <summary>TUF spec 5.6.7: at most this many targets roles are visited when searching for a target.</summary>
    public int MaxDelegations { get; init; } = 32;

    public long RootMaxLength { get; init; } = 512_000;
    public long TimestampMaxLength { get; init; } = 16_384;

    /// <summary>Used when timestamp does not state the snapshot length.</summary>
    public long SnapshotMaxLength { get; init; } = 2_000_000;

    /// <summary>Used when snapshot does not state a targets role's length.</summary>
    public long TargetsMaxLength { get; init; } = 5_000_000;

    /// <summary>Largest target the device accepts at all, whatever the metadata says.</summary>
    public long TargetMaxLength { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Time budget for one metadata file.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A production device refuses any target whose vouching chain of targets roles (top-level targets down to the
    /// role listing it) includes a test or development key (<see cref="Fleetward.Core.Releases.SigningKeyMarker"/>).
    /// </summary>
    public bool ProductionDevice { get; init; }

    /// <summary>Time budget for one target download (slow-retrieval attacks).</summary>
    public TimeSpan TargetTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
