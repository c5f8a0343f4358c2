using System.Text.Json.Nodes;
using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

public class TargetSecurityVersionTests
{
    private static TargetFileInfo With(JsonObject? custom) => TargetFileInfo.FromContent([1], custom);

    [Fact]
    public void Reads_the_custom_field() => Assert.Equal(7, TargetSecurityVersion.Read(With(TargetSecurityVersion.Custom(7)), "a"));

    [Fact]
    public void Missing_field_means_zero() => Assert.Equal(0, TargetSecurityVersion.Read(With(null), "a"));

    [Fact]
    public void Survives_a_metadata_round_trip()
    {
        var targets = new TargetsMetadata
        {
            Version = 1, Expires = DateTimeOffset.UnixEpoch.AddYears(60),
            Targets = new Dictionary<string, TargetFileInfo> { ["a"] = With(TargetSecurityVersion.Custom(9, new JsonObject { ["hardware"] = "x1" })) },
        };
        var parsed = SignedMetadata<TargetsMetadata>.Parse(SignedMetadata<TargetsMetadata>.Create(targets, []).ToBytes());
        Assert.Equal(9, TargetSecurityVersion.Read(parsed.Signed.Targets["a"], "a"));
        Assert.Equal("x1", (string?)parsed.Signed.Targets["a"].Custom!["hardware"]);
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public void Non_integer_or_negative_values_are_refused_naming_the_field(string json)
    {
        var e = Assert.Throws<TufMetadataFormatException>(() =>
            TargetSecurityVersion.Read(With(new JsonObject { ["security_version"] = JsonNode.Parse(json) }), "fw.bin"));
        Assert.Equal("signed.targets.fw.bin.custom.security_version", e.Field);
    }

    [Fact]
    public void Lower_than_installed_is_refused_equal_is_allowed()
    {
        var target = With(TargetSecurityVersion.Custom(4));
        TargetSecurityVersion.EnsureNotBelowInstalled(target, "a", 4);
        var e = Assert.Throws<TufTrustException>(() => TargetSecurityVersion.EnsureNotBelowInstalled(target, "a", 5));
        Assert.Equal(TufTrustFailure.SecurityVersionRollback, e.Reason);
    }
}
