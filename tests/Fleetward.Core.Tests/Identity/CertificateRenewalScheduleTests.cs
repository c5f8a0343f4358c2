using Fleetward.Core.Identity;

namespace Fleetward.Core.Tests.Identity;

public sealed class CertificateRenewalScheduleTests
{
    private static readonly DateTimeOffset NotBefore = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NotAfter = NotBefore.AddHours(24);

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }

    [Fact]
    public void Without_jitter_renewal_is_at_two_thirds_of_the_lifetime()
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(0.5));
        Assert.Equal(NotBefore.AddHours(16), schedule.RenewAt);
    }

    [Theory]
    [InlineData(0.0, -72)]
    [InlineData(1.0, 72)]
    public void Jitter_is_bounded_by_five_percent_of_the_lifetime(double sample, int minutesFromTwoThirds)
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(sample));
        Assert.Equal(NotBefore.AddHours(16).AddMinutes(minutesFromTwoThirds), schedule.RenewAt);
    }

    [Fact]
    public void A_seeded_fleet_spreads_its_renewals()
    {
        var random = new Random(42);
        var times = Enumerable.Range(0, 200).Select(_ => CertificateRenewalSchedule.For(NotBefore, NotAfter, random).RenewAt).ToList();
        Assert.All(times, t => Assert.InRange(t, NotBefore.AddHours(16).AddMinutes(-72), NotBefore.AddHours(16).AddMinutes(72)));
        Assert.True(times.Distinct().Count() > 190);
    }

    [Fact]
    public void Before_renewal_time_the_enroller_waits_until_it()
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(0.5));
        var decision = schedule.Decide(NotBefore.AddHours(1));
        Assert.Equal(RenewalAction.Wait, decision.Action);
        Assert.Equal(schedule.RenewAt, decision.At);
    }

    [Fact]
    public void At_renewal_time_the_enroller_reenrolls()
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(0.5));
        var decision = schedule.Decide(schedule.RenewAt);
        Assert.Equal(RenewalAction.Reenroll, decision.Action);
        Assert.Equal(schedule.RenewAt, decision.At);
    }

    [Fact]
    public void Forced_rotation_reenrolls_immediately()
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(0.5));
        var now = NotBefore.AddMinutes(10);
        var decision = schedule.Decide(now, rotationForced: true);
        Assert.Equal(RenewalAction.Reenroll, decision.Action);
        Assert.Equal(now, decision.At);
    }

    [Fact]
    public void An_expired_certificate_needs_a_fresh_enrollment_even_when_rotation_is_forced()
    {
        var schedule = CertificateRenewalSchedule.For(NotBefore, NotAfter, new FixedRandom(0.5));
        Assert.Equal(RenewalAction.Enroll, schedule.Decide(NotAfter).Action);
        Assert.Equal(RenewalAction.Enroll, schedule.Decide(NotAfter.AddDays(1), rotationForced: true).Action);
    }

    [Fact]
    public void Without_a_certificate_the_enroller_enrolls_now()
    {
        var decision = CertificateRenewalSchedule.WithoutCertificate(NotBefore);
        Assert.Equal(RenewalAction.Enroll, decision.Action);
        Assert.Equal(NotBefore, decision.At);
    }

    [Fact]
    public void Empty_validity_is_refused()
    {
        Assert.Throws<ArgumentException>(() => CertificateRenewalSchedule.For(NotAfter, NotAfter, new Random(1)));
    }
}
