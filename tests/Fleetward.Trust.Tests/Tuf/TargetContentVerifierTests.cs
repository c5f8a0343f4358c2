using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

public class TargetContentVerifierTests
{
    private static readonly byte[] Content = [1, 2, 3, 4];
    private static readonly TargetFileInfo Info = TargetFileInfo.FromContent(Content);

    [Fact]
    public void Accepts_exact_content_in_chunks()
    {
        using var verifier = new TargetContentVerifier("t", Info.Length, Info.Hashes);
        verifier.Append(Content.AsSpan(0, 2));
        verifier.Append(Content.AsSpan(2));
        verifier.Complete();
    }

    [Fact]
    public void Refuses_as_soon_as_content_exceeds_the_promised_length()
    {
        using var verifier = new TargetContentVerifier("t", Info.Length, Info.Hashes);
        verifier.Append(Content);
        var e = Assert.Throws<TufTrustException>(() => verifier.Append(new byte[1]));
        Assert.Equal(TufTrustFailure.LengthOrHashMismatch, e.Reason);
    }

    [Fact]
    public void Refuses_short_content() =>
        Assert.Throws<TufTrustException>(() => TargetContentVerifier.Verify("t", Content.AsSpan(1), Info.Length, Info.Hashes));

    [Fact]
    public void Refuses_content_with_a_different_sha512_even_when_sha256_matches()
    {
        var hashes = new Dictionary<string, string>(Info.Hashes) { ["sha512"] = new string('0', 128) };
        var e = Assert.Throws<TufTrustException>(() => TargetContentVerifier.Verify("t", Content, Info.Length, hashes));
        Assert.Contains("sha512", e.Message);
    }

    [Fact]
    public void Refuses_hash_algorithms_it_cannot_compute() =>
        Assert.Throws<TufTrustException>(() => TargetContentVerifier.Verify("t", Content, 4, new Dictionary<string, string> { ["md5"] = "00" }));
}
