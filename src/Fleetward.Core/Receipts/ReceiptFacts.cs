using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Receipts;

/// <summary>
/// The counts the database returns for one receipt: plain numbers, no judgement. "In service" means a device in
/// state active or quarantined (enrolled and not decommissioned); "the window" is [WindowStart, Now).
/// </summary>
public sealed record ReceiptFacts(
    FleetFacts Fleet,
    CredentialFacts Credentials,
    ConnectionFacts Connections,
    ReleaseAdoptionFacts Releases,
    OtaFacts Ota,
    MedianSample PatchAll,
    MedianSample PatchSecurity,
    IncidentFacts Incidents,
    long QuarantinesInWindow,
    AuditFacts Audit);

/// <summary>Devices in service now, by state.</summary>
public sealed record FleetFacts(long Active, long Quarantined)
{
    public long InService => Active + Quarantined;
}

/// <summary>Certificate facts over in-service devices at <c>Now</c>.</summary>
/// <param name="DevicesWithValidCertificate">Devices holding a certificate that is unrevoked and inside its validity period.</param>
/// <param name="DevicesWithUniqueKey">Of those, devices none of whose valid certificates carries a public key that any certificate of another device carries.</param>
/// <param name="DevicesSharingKey">Devices holding a valid certificate whose public key some other device's certificate also carries.</param>
/// <param name="DevicesWithoutFingerprint">Devices with a valid certificate whose key fingerprint is unknown (stored before fingerprints were kept).</param>
/// <param name="DevicesWithinRotationSlo">Devices holding a valid certificate that has not passed its renewal deadline.</param>
public sealed record CredentialFacts(
    long DevicesWithValidCertificate,
    long DevicesWithUniqueKey,
    long DevicesSharingKey,
    long DevicesWithoutFingerprint,
    long DevicesWithinRotationSlo);

/// <summary>Device-listener requests counted in the window (hourly buckets whose hour starts in it).</summary>
public sealed record ConnectionFacts(long Authenticated, long Refused, long Anonymous);

/// <summary>A signed release as the adoption figures name it.</summary>
public sealed record ReceiptRelease(string Id, string Version, ReleaseChannel Channel, long SecurityVersion, DateTimeOffset? SignedAt);

/// <summary>
/// Release adoption per hardware model of the in-service fleet: a device only ever runs a release built for its own
/// model, so each model has its own latest release and N-1. Models with no eligible release are absent.
/// </summary>
public sealed record ReleaseAdoptionFacts(IReadOnlyList<ModelReleaseAdoption> Models)
{
    public static ReleaseAdoptionFacts None { get; } = new([]);

    public long DevicesOnLatest => Models.Sum(m => m.DevicesOnLatest);

    public long DevicesOnPrevious => Models.Sum(m => m.DevicesOnPrevious);
}

/// <summary>
/// One hardware model's newest eligible signed release and the one before it (N-1), with how many in-service devices
/// of that model last reported running each. Eligible: signed, built for the model (or for every model), and not a
/// release whose rollouts were all aborted or cancelled; newest: highest security version, then latest signed.
/// </summary>
public sealed record ModelReleaseAdoption(string Model, ReceiptRelease Latest, ReceiptRelease? Previous, long DevicesOnLatest, long DevicesOnPrevious);

/// <summary>Device updates (rollout assignments) that finished in the window, by outcome, and the rollouts they belong to.</summary>
/// <param name="RolledBack">Assignments that ended rolled back on the server's order (a halted rollout).</param>
/// <param name="Rollouts">Rollouts with at least one update finished in the window.</param>
/// <param name="RolloutsWithRollback">Of those, rollouts with at least one update rolled back in the window.</param>
public sealed record OtaFacts(long Succeeded, long Failed, long RolledBack, long Rollouts, long RolloutsWithRollback);

/// <summary>
/// The middle of a sorted set of durations in milliseconds, as the database returns it (ORDER BY, OFFSET): for an odd
/// count both middles are the same element, for an even count the two central ones; null when there are none.
/// </summary>
public sealed record MedianSample(long Count, long? LowerMiddleMs, long? UpperMiddleMs)
{
    public static MedianSample Empty { get; } = new(0, null, null);
}

/// <summary>Incidents detected in the window, dismissed ones (false positives) left out and counted apart.</summary>
/// <param name="DetectMsSum">Sum over those incidents of detection minus first anomalous sample.</param>
/// <param name="Recovered">Of those incidents, the ones recovered (by Now).</param>
/// <param name="RecoverMsSum">Sum over the recovered ones of recovery minus detection.</param>
public sealed record IncidentFacts(long Detected, long DetectMsSum, long Recovered, long RecoverMsSum, long Dismissed);

/// <summary>The audit log's size and its newest signed checkpoint.</summary>
public sealed record AuditFacts(long LogSize, StoredAuditCheckpoint? LatestCheckpoint);

/// <summary>
/// The server's check of the newest checkpoint when the receipt was made: its signed note verifies with the log key,
/// and the root recomputed from the stored tree at its size equals the signed root.
/// </summary>
public sealed record ReceiptCheckpointCheck(bool Verified, string Detail);
