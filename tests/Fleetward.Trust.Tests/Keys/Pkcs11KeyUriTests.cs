using Fleetward.Trust.Keys;

namespace Fleetward.Trust.Tests.Keys;

public sealed class Pkcs11KeyUriTests
{
    [Fact]
    public void Round_trips_with_percent_encoding()
    {
        var uri = new Pkcs11KeyUri("fleet token", "issuing;ca");
        Assert.Equal("pkcs11:token=fleet%20token;object=issuing%3Bca;type=private", uri.ToString());
        Assert.Equal(uri, Pkcs11KeyUri.Parse(uri.ToString()));
    }

    [Fact]
    public void Parses_the_common_form()
    {
        var uri = Pkcs11KeyUri.Parse("pkcs11:token=fw;object=issuing-ca;type=private");
        Assert.Equal("fw", uri.Token);
        Assert.Equal("issuing-ca", uri.ObjectLabel);
    }

    [Theory]
    [InlineData("pkcs11:token=fw;object=k;pin-value=1234")]
    [InlineData("pkcs11:token=fw;object=k?pin-value=1234")]
    public void A_pin_in_the_uri_is_refused(string text)
    {
        Assert.Contains("PIN", Assert.Throws<FormatException>(() => Pkcs11KeyUri.Parse(text)).Message);
    }

    [Theory]
    [InlineData("file:token=fw;object=k")]
    [InlineData("pkcs11:token=fw")]
    [InlineData("pkcs11:object=k")]
    [InlineData("pkcs11:token=fw;object=k;type=public")]
    [InlineData("pkcs11:token=fw;object=k;serial=1")]
    [InlineData("pkcs11:token")]
    public void Malformed_uris_are_refused(string text)
    {
        Assert.Throws<FormatException>(() => Pkcs11KeyUri.Parse(text));
    }

    [Fact]
    public void Empty_labels_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Pkcs11KeyUri("", "k"));
        Assert.Throws<ArgumentException>(() => new Pkcs11KeyUri("t", ""));
    }
}
