using Fleetward.Core.Releases;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Core.Tests.Updates;

/// <summary>One test per signing rule of seed 003, at chosen instants.</summary>
public sealed class ReleaseSigningPolicyTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static ReleaseSigningPolicy Policy(params SigningKeyRules[] keys) => new(keys);

    private static SigningRequest Sign(string release = "rel_1", string key = "k1", SigningKeyClass repository = SigningKeyClass.Production) =>
        new(release, key, repository);

    [Fact]
    public void A_key_without_rules_is_refused()
    {
        var decision = Policy().Evaluate(Sign(), [], Noon);
        Assert.False(decision.Allowed);
        Assert.Equal(ReleaseSigningPolicy.UnknownKeyRule, decision.Rule);
    }

    [Fact]
    public void A_key_with_no_windows_and_no_quota_may_sign_at_any_time()
    {
        Assert.True(Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [])).Evaluate(Sign(), [], Noon).Allowed);
    }

    [Fact]
    public void Signing_inside_a_release_window_is_allowed()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [new SigningWindow(Noon.AddHours(-1), Noon.AddHours(1))]));
        Assert.True(policy.Evaluate(Sign(), [], Noon).Allowed);
    }

    [Fact]
    public void Signing_outside_every_release_window_is_refused_and_the_window_end_is_exclusive()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [new SigningWindow(Noon.AddHours(-2), Noon)]));
        var decision = policy.Evaluate(Sign(), [], Noon);
        Assert.False(decision.Allowed);
        Assert.Equal(ReleaseSigningPolicy.WindowRule, decision.Rule);
        Assert.True(policy.Evaluate(Sign(), [], Noon.AddTicks(-1)).Allowed);
    }

    [Fact]
    public void A_quota_refuses_the_release_beyond_its_maximum_within_the_period()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [], MaxReleasesPerPeriod: 2, QuotaPeriod: TimeSpan.FromDays(1)));
        ReleaseSignature[] recent = [new("rel_a", "k1", "targets", Noon.AddHours(-3)), new("rel_b", "k1", "targets", Noon.AddHours(-2))];
        var decision = policy.Evaluate(Sign("rel_c"), recent, Noon);
        Assert.False(decision.Allowed);
        Assert.Equal(ReleaseSigningPolicy.QuotaRule, decision.Rule);
    }

    [Fact]
    public void Signatures_older_than_the_quota_period_no_longer_count()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [], MaxReleasesPerPeriod: 1, QuotaPeriod: TimeSpan.FromDays(1)));
        ReleaseSignature[] recent = [new("rel_a", "k1", "targets", Noon.AddDays(-1))];
        Assert.True(policy.Evaluate(Sign("rel_b"), recent, Noon).Allowed);
    }

    [Fact]
    public void A_key_signs_a_release_only_once()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, []));
        var decision = policy.Evaluate(Sign("rel_a"), [new("rel_a", "k1", "targets", Noon.AddHours(-1))], Noon);
        Assert.Equal(ReleaseSigningPolicy.DuplicateRule, decision.Rule);
    }

    [Fact]
    public void A_test_key_may_not_sign_for_a_production_repository()
    {
        var decision = Policy(new SigningKeyRules("k1", SigningKeyClass.Test, [])).Evaluate(Sign(repository: SigningKeyClass.Production), [], Noon);
        Assert.False(decision.Allowed);
        Assert.Equal(ReleaseSigningPolicy.KeyClassRule, decision.Rule);
    }

    [Fact]
    public void A_production_key_may_not_sign_for_a_test_or_development_repository()
    {
        var policy = Policy(new SigningKeyRules("k1", SigningKeyClass.Production, []));
        Assert.Equal(ReleaseSigningPolicy.KeyClassRule, policy.Evaluate(Sign(repository: SigningKeyClass.Test), [], Noon).Rule);
        Assert.Equal(ReleaseSigningPolicy.KeyClassRule, policy.Evaluate(Sign(repository: SigningKeyClass.Development), [], Noon).Rule);
    }

    [Fact]
    public void A_quota_without_a_period_is_rejected_when_the_policy_is_built()
    {
        Assert.Throws<ArgumentException>(() => Policy(new SigningKeyRules("k1", SigningKeyClass.Production, [], MaxReleasesPerPeriod: 3)));
    }
}

/// <summary>The key-class marker: covered by the key id, read back, and a role counts as its weakest key.</summary>
public sealed class SigningKeyMarkerTests
{
    [Fact]
    public void A_marked_key_has_a_different_key_id_and_reads_back_its_class()
    {
        var key = Ed25519TufSigner.Generate().PublicKey;
        var marked = SigningKeyMarker.Mark(key, SigningKeyClass.Development);
        Assert.NotEqual(key.KeyId, marked.KeyId);
        Assert.Equal(SigningKeyClass.Development, SigningKeyMarker.ClassOf(marked));
        Assert.Equal(SigningKeyClass.Production, SigningKeyMarker.ClassOf(key));
        Assert.Equal(key.KeyId, SigningKeyMarker.Mark(marked, SigningKeyClass.Production).KeyId);
    }

    [Fact]
    public void A_marked_signer_still_produces_signatures_its_listed_key_verifies()
    {
        var signer = new MarkedTufSigner(Ed25519TufSigner.Generate(), SigningKeyClass.Test);
        var data = "signed bytes"u8.ToArray();
        Assert.True(TufSignatureVerifier.Verify(signer.PublicKey, data, signer.Sign(data)));
    }

    [Fact]
    public void A_role_with_any_test_key_counts_as_test()
    {
        var production = Ed25519TufSigner.Generate().PublicKey;
        var test = SigningKeyMarker.Mark(Ed25519TufSigner.Generate().PublicKey, SigningKeyClass.Test);
        var keys = new Dictionary<string, TufKey> { [production.KeyId] = production, [test.KeyId] = test };
        Assert.Equal(SigningKeyClass.Test, SigningKeyMarker.RoleClass(new TufRoleKeys([production.KeyId, test.KeyId], 1), keys));
        Assert.Equal(SigningKeyClass.Production, SigningKeyMarker.RoleClass(new TufRoleKeys([production.KeyId], 1), keys));
    }
}
