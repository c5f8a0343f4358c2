namespace Fleetward.Core.Policy;

/// <summary>The device's latest attestation the server verified, supplied to the gate as evidence.</summary>
/// <param name="VerifiedAt">When the server last verified a quote from this device; null if never.</param>
public sealed record AttestationEvidence(DateTimeOffset? VerifiedAt);

/// <summary>
/// Refuses updates to a device whose last verified attestation is older than <see cref="MaxAge"/>, so a device
/// whose measured state is unknown cannot be handed new software. Missing evidence counts as never attested.
/// </summary>
public sealed class AttestationFreshnessCondition : IUpdateGateCondition
{
    public const string StaleCode = "attestation-stale";
    public const string MissingCode = "attestation-missing";

    public AttestationFreshnessCondition(TimeSpan maxAge)
    {
        if (maxAge <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(maxAge), maxAge, "must be positive");
        MaxAge = maxAge;
    }

    public TimeSpan MaxAge { get; }

    public GateRefusal? Evaluate(UpdateGateRequest request)
    {
        var verifiedAt = request.Evidence.Find<AttestationEvidence>()?.VerifiedAt;
        if (verifiedAt is null)
            return new GateRefusal(MissingCode, $"device {request.Device.Id} has no verified attestation");
        var age = request.Now - verifiedAt.Value;
        return age > MaxAge
            ? new GateRefusal(StaleCode, $"device {request.Device.Id} last attested {age.TotalMinutes:0} minutes ago, limit {MaxAge.TotalMinutes:0}")
            : null;
    }
}
