using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class RevocationReasonNamesTests
{
    [Fact]
    public void Every_name_round_trips()
    {
        foreach (var name in RevocationReasonNames.All)
        {
            Assert.True(RevocationReasonNames.TryParse(name, out var reason));
            Assert.Equal(name, reason.Value.ToName());
        }
    }

    [Fact]
    public void Parsing_ignores_case()
    {
        Assert.True(RevocationReasonNames.TryParse("KEYCOMPROMISE", out var reason));
        Assert.Equal(X509RevocationReason.KeyCompromise, reason);
    }

    [Theory]
    [InlineData("compromised")]
    [InlineData("removeFromCRL")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_names_are_refused(string? name)
    {
        Assert.False(RevocationReasonNames.TryParse(name, out _));
    }

    [Fact]
    public void Reasons_without_a_name_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => X509RevocationReason.RemoveFromCrl.ToName());
    }
}
