namespace Fleetward.Core.Identity;

/// <summary>What the agent's enroller should do next about its certificate.</summary>
public enum RenewalAction
{
    /// <summary>Nothing until <see cref="RenewalDecision.At"/>.</summary>
    Wait,

    /// <summary>POST /simplereenroll now, authenticated by the still-valid current certificate (RFC 7030 4.2.2).</summary>
    Reenroll,

    /// <summary>POST /simpleenroll now with the bootstrap credential: there is no valid certificate to re-enroll with.</summary>
    Enroll,
}

/// <summary>The enroller's next step, when, and why (the reason goes into the agent's log).</summary>
public sealed record RenewalDecision(RenewalAction Action, DateTimeOffset At, string Reason);

/// <summary>
/// When a device renews its short-lived certificate: at about two thirds of its lifetime, moved by a bounded random
/// jitter so a fleet enrolled in the same minute does not renew in the same minute. Leaves a third of the lifetime
/// for retries before the certificate expires. Pure: the random source and the instant are passed in.
/// </summary>
public sealed record CertificateRenewalSchedule
{
    public const double RenewalFraction = 2.0 / 3.0;

    /// <summary>The jitter is uniform in ±this fraction of the lifetime (±72 min for 24 h).</summary>
    public const double JitterFraction = 0.05;

    private CertificateRenewalSchedule(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset renewAt)
    {
        NotBefore = notBefore;
        NotAfter = notAfter;
        RenewAt = renewAt;
    }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public DateTimeOffset RenewAt { get; }

    /// <summary>Plans renewal for a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public static CertificateRenewalSchedule For(DateTimeOffset notBefore, DateTimeOffset notAfter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (notAfter <= notBefore)
        {
            throw new ArgumentException("notAfter must be later than notBefore.", nameof(notAfter));
        }

        var lifetime = notAfter - notBefore;
        var jitter = (random.NextDouble() * 2 - 1) * JitterFraction;
        var renewAt = notBefore + lifetime * (RenewalFraction + jitter);
        return new CertificateRenewalSchedule(notBefore, notAfter, renewAt);
    }

    /// <summary>A device without any certificate enrolls at once.</summary>
    public static RenewalDecision WithoutCertificate(DateTimeOffset now) =>
        new(RenewalAction.Enroll, now, "no certificate yet");

    /// <param name="rotationForced">Set when the server ordered a key rotation (signed command): re-enroll immediately.</param>
    public RenewalDecision Decide(DateTimeOffset now, bool rotationForced = false)
    {
        if (now >= NotAfter)
        {
            return new RenewalDecision(RenewalAction.Enroll, now, $"certificate expired at {NotAfter:O}; re-enrollment needs a valid certificate");
        }

        if (rotationForced)
        {
            return new RenewalDecision(RenewalAction.Reenroll, now, "rotation forced by the server");
        }

        if (now >= RenewAt)
        {
            return new RenewalDecision(RenewalAction.Reenroll, now, $"renewal time {RenewAt:O} reached");
        }

        return new RenewalDecision(RenewalAction.Wait, RenewAt, $"certificate valid until {NotAfter:O}");
    }
}
