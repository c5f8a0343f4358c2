using Fleetward.Server.Access;

namespace Fleetward.Server.Tests.Access;

public sealed class ApiTokenSecretTests
{
    [Fact]
    public void A_generated_token_parses_back_and_matches_its_own_hash()
    {
        var token = ApiTokenSecret.Generate();
        var text = token.Reveal();

        Assert.Matches("^fw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$", text);
        Assert.True(ApiTokenSecret.TryParse(text, out var parsed));
        Assert.Equal(token.Id, parsed.Id);
        Assert.True(parsed.Matches(token.Hash()));
        Assert.Equal(32, token.Hash().Length);
    }

    [Fact]
    public void Different_tokens_do_not_match_each_other() =>
        Assert.False(ApiTokenSecret.Generate().Matches(ApiTokenSecret.Generate().Hash()));

    [Fact]
    public void The_printable_form_hides_the_secret()
    {
        var token = ApiTokenSecret.Generate();
        Assert.DoesNotContain(token.Reveal()[20..], token.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("fw_")]
    [InlineData("gh_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("fw_0123456789ABCDEF_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("fw_0123456789abcde_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("fw_0123456789abcdef_AAAA")]
    [InlineData("fw_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    public void Malformed_tokens_do_not_parse(string text) => Assert.False(ApiTokenSecret.TryParse(text, out _));
}
