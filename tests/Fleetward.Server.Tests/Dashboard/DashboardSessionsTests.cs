using Fleetward.Server.Dashboard.Sessions;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class DashboardSessionsTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static (DashboardSessions Sessions, ManualClock Clock) Create(byte[]? key = null)
    {
        var clock = new ManualClock(Start);
        return (new DashboardSessions(clock, key ?? new byte[32]), clock);
    }

    [Fact]
    public void An_issued_cookie_reads_back_as_its_session()
    {
        var (sessions, _) = Create();
        var (session, cookie) = sessions.Issue("0123456789abcdef", null);
        Assert.True(sessions.TryRead(cookie, out var read, out _));
        Assert.Equal(session, read);
        Assert.Equal(Start + DashboardSessions.DefaultLifetime, session.ExpiresAt);
        Assert.DoesNotContain("fw_", cookie);
    }

    [Fact]
    public void A_session_never_outlives_its_token()
    {
        var (sessions, _) = Create();
        var (session, _) = sessions.Issue("0123456789abcdef", Start.AddMinutes(10));
        Assert.Equal(Start.AddMinutes(10), session.ExpiresAt);
    }

    [Fact]
    public void A_changed_token_id_or_expiry_breaks_the_mac()
    {
        var (sessions, _) = Create();
        var (_, cookie) = sessions.Issue("0123456789abcdef", null);
        var parts = cookie.Split('.');
        var otherToken = string.Join('.', "fedcba9876543210", parts[1], parts[2], parts[3]);
        var longer = string.Join('.', parts[0], (long.Parse(parts[1]) + 86400).ToString(), parts[2], parts[3]);
        Assert.False(sessions.TryRead(otherToken, out _, out var reason));
        Assert.Contains("MAC", reason);
        Assert.False(sessions.TryRead(longer, out _, out _));
    }

    [Fact]
    public void A_cookie_from_another_key_is_refused()
    {
        var (one, _) = Create(new byte[32]);
        var (other, _) = Create(Enumerable.Repeat((byte)7, 32).ToArray());
        var (_, cookie) = one.Issue("0123456789abcdef", null);
        Assert.False(other.TryRead(cookie, out _, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a.b.c")]
    [InlineData("a.b.c.d.e")]
    public void Malformed_cookies_are_refused(string? cookie)
    {
        var (sessions, _) = Create();
        Assert.False(sessions.TryRead(cookie, out _, out var reason));
        Assert.Contains("malformed", reason);
    }

    [Fact]
    public void An_expired_session_is_refused()
    {
        var (sessions, clock) = Create();
        var (_, cookie) = sessions.Issue("0123456789abcdef", null);
        clock.Advance(DashboardSessions.DefaultLifetime);
        Assert.False(sessions.TryRead(cookie, out _, out var reason));
        Assert.Contains("expired", reason);
    }

    [Fact]
    public void A_logged_out_session_is_refused_but_others_of_the_same_token_are_not()
    {
        var (sessions, _) = Create();
        var (first, firstCookie) = sessions.Issue("0123456789abcdef", null);
        var (_, secondCookie) = sessions.Issue("0123456789abcdef", null);
        sessions.Revoke(first);
        Assert.False(sessions.TryRead(firstCookie, out _, out var reason));
        Assert.Contains("logged out", reason);
        Assert.True(sessions.TryRead(secondCookie, out _, out _));
    }

    [Fact]
    public void Anti_forgery_tokens_are_bound_to_their_session()
    {
        var (sessions, _) = Create();
        var (first, firstCookie) = sessions.Issue("0123456789abcdef", null);
        var (second, _) = sessions.Issue("0123456789abcdef", null);
        var token = sessions.AntiForgeryToken(first);
        Assert.True(sessions.IsValidAntiForgeryToken(first, token));
        Assert.False(sessions.IsValidAntiForgeryToken(second, token));
        Assert.False(sessions.IsValidAntiForgeryToken(first, null));
        Assert.False(sessions.IsValidAntiForgeryToken(first, firstCookie.Split('.')[3]));
    }

    [Fact]
    public void The_login_double_submit_needs_matching_non_empty_values()
    {
        var value = DashboardSessions.NewLoginAntiForgeryValue();
        Assert.True(DashboardSessions.IsValidLoginAntiForgery(value, value));
        Assert.False(DashboardSessions.IsValidLoginAntiForgery(value, DashboardSessions.NewLoginAntiForgeryValue()));
        Assert.False(DashboardSessions.IsValidLoginAntiForgery(null, value));
        Assert.False(DashboardSessions.IsValidLoginAntiForgery("", ""));
    }

    [Fact]
    public void A_short_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new DashboardSessions(TimeProvider.System, new byte[16]));
    }
}
