using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleetward.Server.Access;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Sessions;

/// <summary>A browser session as its cookie carries it: which API token it stands for, until when, and a random id.</summary>
public sealed record DashboardSession(string TokenId, DateTimeOffset ExpiresAt, string Nonce);

/// <summary>
/// Browser sessions for the dashboard without a session table. The cookie carries the API token's
/// id, an expiry and a random nonce, MAC'd (HMAC-SHA256) with a key that never leaves the process;
/// it never carries the token secret. The authentication middleware re-reads the token on every
/// request, so revoking or expiring the token ends its sessions at once; logout revokes the one
/// session by nonce. Anti-forgery tokens are MACs of the session nonce (synchronizer token bound to
/// the session), and the login form uses a double-submit cookie because no session exists yet.
/// </summary>
/// <remarks>
/// The key is random per process: a restart signs everyone out, and two server processes behind one
/// address need sticky routing. Both are acceptable for an operator console and keep key material
/// off disk.
/// </remarks>
public sealed class DashboardSessions : IOperatorSessionReader
{
    /// <summary>The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain (RFC 6265bis 4.1.3.2).</summary>
    public const string CookieName = "__Host-fleetward-session";
    public const string LoginCookieName = "__Host-fleetward-login";
    public const string AntiForgeryField = "_csrf";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    private readonly byte[] key;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> loggedOut = new(StringComparer.Ordinal);

    public DashboardSessions(TimeProvider time, byte[]? key = null, TimeSpan? lifetime = null)
    {
        this.time = time;
        this.key = key ?? RandomNumberGenerator.GetBytes(32);
        if (this.key.Length < 32)
        {
            throw new ArgumentException("The session key must be at least 32 bytes.", nameof(key));
        }
        Lifetime = lifetime ?? DefaultLifetime;
    }

    public TimeSpan Lifetime { get; }

    /// <summary>A new session for a token; it ends at the session lifetime or the token's own expiry, whichever is first.</summary>
    public (DashboardSession Session, string CookieValue) Issue(string tokenId, DateTimeOffset? tokenExpiresAt)
    {
        var expires = time.GetUtcNow() + Lifetime;
        if (tokenExpiresAt is { } tokenExpiry && tokenExpiry < expires)
        {
            expires = tokenExpiry;
        }
        // Whole seconds, so the cookie round-trips exactly.
        expires = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
        var session = new DashboardSession(tokenId, expires, Base64Url(RandomNumberGenerator.GetBytes(16)));
        var payload = session.TokenId + "." + expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + session.Nonce;
        return (session, payload + "." + Mac("session", payload));
    }

    /// <summary>Reads a cookie value; refuses (with a reason) a bad MAC, a malformed value, an expired or logged-out session.</summary>
    public bool TryRead(string? cookieValue, out DashboardSession? session, out string reason)
    {
        session = null;
        var parts = (cookieValue ?? "").Split('.');
        if (parts.Length != 4)
        {
            reason = "the session cookie is malformed";
            return false;
        }
        var payload = parts[0] + "." + parts[1] + "." + parts[2];
        if (!FixedEquals(Mac("session", payload), parts[3]))
        {
            reason = "the session cookie's MAC does not verify";
            return false;
        }
        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expiresUnix))
        {
            reason = "the session cookie's expiry is malformed";
            return false;
        }
        var expires = DateTimeOffset.FromUnixTimeSeconds(expiresUnix);
        if (expires <= time.GetUtcNow())
        {
            reason = $"the session expired at {expires:O}";
            return false;
        }
        if (loggedOut.ContainsKey(parts[2]))
        {
            reason = "the session was logged out";
            return false;
        }
        session = new DashboardSession(parts[0], expires, parts[2]);
        reason = "";
        return true;
    }

    /// <summary>The session from the request's cookie, when it is valid.</summary>
    public DashboardSession? Read(HttpRequest request) =>
        TryRead(request.Cookies[CookieName], out var session, out _) ? session : null;

    string? IOperatorSessionReader.ReadTokenId(HttpRequest request) => Read(request)?.TokenId;

    /// <summary>Ends a session before its expiry (logout); remembered only until it would have expired anyway.</summary>
    public void Revoke(DashboardSession session)
    {
        var now = time.GetUtcNow();
        foreach (var (nonce, expires) in loggedOut)
        {
            if (expires <= now)
            {
                loggedOut.TryRemove(nonce, out _);
            }
        }
        loggedOut[session.Nonce] = session.ExpiresAt;
    }

    /// <summary>The anti-forgery token that forms of this session carry.</summary>
    public string AntiForgeryToken(DashboardSession session) => Mac("csrf", session.Nonce);

    public bool IsValidAntiForgeryToken(DashboardSession session, string? presented) =>
        presented is not null && FixedEquals(AntiForgeryToken(session), presented);

    /// <summary>A fresh double-submit value for the login form (cookie and hidden field carry the same value).</summary>
    public static string NewLoginAntiForgeryValue() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static bool IsValidLoginAntiForgery(string? cookie, string? field) =>
        !string.IsNullOrEmpty(cookie) && field is not null && FixedEquals(cookie, field);

    /// <summary>Cookie flags for every dashboard cookie: HttpOnly, Secure, SameSite=Strict, host-only, Path=/.</summary>
    public static CookieOptions CookieOptions(DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private string Mac(string purpose, string value)
    {
        // The purpose label keeps a session MAC from ever being accepted as an anti-forgery token and vice versa.
        return Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose + "\0" + value)));
    }

    private static bool FixedEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
