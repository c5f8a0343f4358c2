namespace Fleetward.Core.Releases;

/// <summary>
/// What a signing key is for. Production keys sign what production devices install; test and development keys sign
/// what test benches and quick starts run, and production devices refuse targets those keys vouch for.
/// </summary>
public enum SigningKeyClass
{
    Production,
    Test,
    Development,
}

/// <summary>A period in which a key may sign, [<see cref="From"/>, <see cref="Until"/>).</summary>
public sealed record SigningWindow(DateTimeOffset From, DateTimeOffset Until)
{
    public bool Contains(DateTimeOffset instant) => instant >= From && instant < Until;
}

/// <summary>
/// The rules for one key. No windows means the key may sign at any time. A quota bounds how many releases the key
/// signs per <see cref="QuotaPeriod"/>, so a stolen or misused key can vouch for only a few releases before a human notices.
/// </summary>
public sealed record SigningKeyRules(
    string KeyId,
    SigningKeyClass Class,
    IReadOnlyList<SigningWindow> Windows,
    int? MaxReleasesPerPeriod = null,
    TimeSpan? QuotaPeriod = null);

/// <summary>One request to sign a release with a key, and which kind of repository the release goes to.</summary>
public sealed record SigningRequest(string ReleaseId, string KeyId, SigningKeyClass RepositoryClass);

/// <summary>The outcome; a refusal names the rule that refused.</summary>
public sealed record SigningDecision(bool Allowed, string Rule, string Reason)
{
    public static SigningDecision Allow() => new(true, "", "");

    public static SigningDecision Refuse(string rule, string reason) => new(false, rule, reason);
}

/// <summary>
/// Seed 003's release signing rules, pure: given a key's rules, its recent signatures and the instant, decides whether
/// it may sign a release. Rules are checked in a fixed order and the first refusal is returned.
/// </summary>
public sealed class ReleaseSigningPolicy
{
    public const string UnknownKeyRule = "unknown-key";
    public const string KeyClassRule = "key-class";
    public const string WindowRule = "release-window";
    public const string DuplicateRule = "duplicate-signature";
    public const string QuotaRule = "signature-quota";

    private readonly IReadOnlyDictionary<string, SigningKeyRules> _keys;

    public ReleaseSigningPolicy(IEnumerable<SigningKeyRules> keys)
    {
        var map = new Dictionary<string, SigningKeyRules>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key.MaxReleasesPerPeriod is { } max && (max < 0 || key.QuotaPeriod is not { } period || period <= TimeSpan.Zero))
            {
                throw new ArgumentException($"key {key.KeyId}: a quota needs a non-negative maximum and a positive period", nameof(keys));
            }
            if (!map.TryAdd(key.KeyId, key)) throw new ArgumentException($"key {key.KeyId} is listed twice", nameof(keys));
        }
        _keys = map;
    }

    public IReadOnlyDictionary<string, SigningKeyRules> Keys => _keys;

    /// <summary>
    /// Decides one signature. <paramref name="recentSignatures"/> are the key's signatures within its quota period
    /// (or at least those; older ones are ignored).
    /// </summary>
    public SigningDecision Evaluate(SigningRequest request, IReadOnlyCollection<ReleaseSignature> recentSignatures, DateTimeOffset now)
    {
        if (!_keys.TryGetValue(request.KeyId, out var rules))
            return SigningDecision.Refuse(UnknownKeyRule, $"key {request.KeyId} has no signing rules; every signing key must be registered");

        // Production and test keys are kept apart both ways: a test key never signs for production devices, and a
        // production key is never exposed by signing on a test or development repository.
        if ((rules.Class == SigningKeyClass.Production) != (request.RepositoryClass == SigningKeyClass.Production))
            return SigningDecision.Refuse(KeyClassRule,
                $"key {request.KeyId} is a {Name(rules.Class)} key and may not sign for a {Name(request.RepositoryClass)} repository");

        if (rules.Windows.Count > 0 && !rules.Windows.Any(w => w.Contains(now)))
            return SigningDecision.Refuse(WindowRule, $"key {request.KeyId} may not sign at {now:O}: outside its release windows");

        if (recentSignatures.Any(s => s.KeyId == request.KeyId && s.ReleaseId == request.ReleaseId))
            return SigningDecision.Refuse(DuplicateRule, $"key {request.KeyId} already signed release {request.ReleaseId}");

        if (rules.MaxReleasesPerPeriod is { } max && rules.QuotaPeriod is { } period)
        {
            var since = now - period;
            var used = recentSignatures.Where(s => s.KeyId == request.KeyId && s.SignedAt > since && s.SignedAt <= now)
                .Select(s => s.ReleaseId).Distinct(StringComparer.Ordinal).Count();
            if (used >= max)
                return SigningDecision.Refuse(QuotaRule, $"key {request.KeyId} signed {used} release(s) in the last {period}; its quota is {max}");
        }
        return SigningDecision.Allow();
    }

    public static string Name(SigningKeyClass keyClass) => keyClass switch
    {
        SigningKeyClass.Production => "production",
        SigningKeyClass.Test => "test",
        _ => "development",
    };

    public static bool TryParseClass(string? name, out SigningKeyClass keyClass)
    {
        keyClass = name switch { "test" => SigningKeyClass.Test, "development" => SigningKeyClass.Development, _ => SigningKeyClass.Production };
        return name is "production" or "test" or "development";
    }
}
