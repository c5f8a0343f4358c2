using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Trust.Tests.Notes;

public sealed class CheckpointTests
{
    private const string Origin = "fleetward.test/audit";
    private static readonly byte[] Root = MerkleHasher.HashLeaf("root"u8);

    [Fact]
    public void Checkpoint_text_is_origin_size_and_base64_root()
    {
        var checkpoint = new Checkpoint(Origin, 20852163, Root);

        Assert.Equal($"{Origin}\n20852163\n{Convert.ToBase64String(Root)}\n", checkpoint.ToNoteText());
    }

    [Fact]
    public void C2sp_example_body_parses()
    {
        var checkpoint = Checkpoint.ParseText("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");

        Assert.Equal("example.com/behind-the-sofa", checkpoint.Origin);
        Assert.Equal(20852163, checkpoint.TreeSize);
        Assert.Equal(32, checkpoint.RootHash.Length);
    }

    // A real signed tree head of the Go checksum database (sum.golang.org), verified with the public key the Go
    // toolchain pins: interoperability with an independent checkpoint producer.
    private const string GoSumDbKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
    private const string GoSumDbCheckpoint = "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
        + "\u2014 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n";

    [Fact]
    public void Real_go_checksum_database_checkpoint_verifies()
    {
        var result = Checkpoint.Open(GoSumDbCheckpoint, NoteVerifierKey.Parse(GoSumDbKey), "go.sum database tree");

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(65209736, result.Checkpoint!.TreeSize);
        Assert.Equal(Convert.FromBase64String("5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo="), result.Checkpoint.RootHash);
    }

    // Real ECDSA (type 0x02) checkpoints: Sigstore Rekor (one with a "Timestamp:" extension line and an origin
    // containing spaces) and the Pixel binary transparency log, with their published verifier keys.
    private const string RekorKey = "rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc=";
    private const string PixelKey = "pixel6_transparency_log+91c16e30+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN+4x0Jk1yTwvLFI9A4NDdGZcX0aiWVdWM5XJVy0M4VWD3AvyW5Q6Hs9A0mcDkpUoYgn+KKPNzFC0H3nN3q6JQ8=";

    [Theory]
    [InlineData(RekorKey, "Rekor\n798034\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n\n\u2014 rekor.sigstore.dev wNI9ajBEAiARInWIWyCdyG27CO6LPnPekyw20qO0YJfoaPaowGp/XgIgc+qEHS3+GKVClgqq20uDLet7MCoTURUCRdxwWBHHufk=\n", 798034, 0)]
    [InlineData(RekorKey, "rekor.sigstore.dev - 2605736670972794746\n21428036\nrxnoKyFZlJ7/R6bMh/d3lcqwKqAy5CL1LcNBJP17kgQ=\nTimestamp: 1688058656037355364\n\n\u2014 rekor.sigstore.dev wNI9ajBFAiEAuDk7uu5Ae8Own/MjhSZNuVzbLuYH2jBMxbSA0WaNDNACIDV4reKpYiOpkwtvazCClnpUuduF2o/th2xR3gRZAUU4\n", 21428036, 1)]
    [InlineData(PixelKey, "DEFAULT\n10\nbsWRucJU5xJPHb5eBdOm6+DM+VelCZBuvtI3sHERJ9Y=\n\n\u2014 pixel6_transparency_log kcFuMDBFAiEAhqMAP8P6qf6QxtUJhzMhbN+MbZ9dwfUHzGQJmffJHtoCIGD0cNe47dHWBoPwYdgBCepB06/+g5O1FmYjXl06owL4\n", 10, 0)]
    public void Real_ecdsa_checkpoints_verify(string vkey, string note, long size, int extensions)
    {
        var result = Checkpoint.Open(note, NoteVerifierKey.Parse(vkey));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(size, result.Checkpoint!.TreeSize);
        Assert.Equal(extensions, result.Checkpoint.Extensions.Count);
    }

    [Fact]
    public void Real_ecdsa_checkpoint_with_another_root_is_refused()
    {
        var note = "Rekor\n798034\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n\n\u2014 rekor.sigstore.dev wNI9ajBEAiARInWIWyCdyG27CO6LPnPekyw20qO0YJfoaPaowGp/XgIgc+qEHS3+GKVClgqq20uDLet7MCoTURUCRdxwWBHHufk=\n";

        var result = Checkpoint.Open(note.Replace("f+7C", "g+7C"), NoteVerifierKey.Parse(RekorKey));

        Assert.Equal(NoteError.BadSignature, result.Error);
    }

    [Fact]
    public void Real_go_checksum_database_checkpoint_with_another_size_is_refused()
    {
        var forged = GoSumDbCheckpoint.Replace("65209736", "65209737");

        Assert.Equal(NoteError.BadSignature, Checkpoint.Open(forged, NoteVerifierKey.Parse(GoSumDbKey)).Error);
    }

    [Fact]
    public void Signed_checkpoint_round_trips_with_extension_lines()
    {
        var signer = Ed25519NoteSigner.Generate(Origin);
        var note = new Checkpoint(Origin, 7, Root, ["timestamp 1700000000"]).Sign(signer).ToString();

        var result = Checkpoint.Open(note, signer.VerifierKey, Origin);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(7, result.Checkpoint!.TreeSize);
        Assert.Equal(Root, result.Checkpoint.RootHash);
        Assert.Equal(["timestamp 1700000000"], result.Checkpoint.Extensions);
    }

    [Fact]
    public void Checkpoint_from_another_origin_is_refused()
    {
        var signer = Ed25519NoteSigner.Generate(Origin);
        var note = new Checkpoint("other.example/log", 7, Root).Sign(signer).ToString();

        Assert.Equal(NoteError.OriginMismatch, Checkpoint.Open(note, signer.VerifierKey, Origin).Error);
    }

    [Fact]
    public void Changed_tree_size_breaks_the_signature()
    {
        var signer = Ed25519NoteSigner.Generate(Origin);
        var note = new Checkpoint(Origin, 7, Root).Sign(signer).ToString().Replace("\n7\n", "\n8\n");

        Assert.Equal(NoteError.BadSignature, Checkpoint.Open(note, signer.VerifierKey).Error);
    }

    [Fact]
    public void Checkpoint_by_an_unknown_key_is_refused()
    {
        var note = new Checkpoint(Origin, 7, Root).Sign(Ed25519NoteSigner.Generate(Origin)).ToString();

        Assert.Equal(NoteError.UnknownKey, Checkpoint.Open(note, Ed25519NoteSigner.Generate(Origin).VerifierKey).Error);
    }

    [Fact]
    public void Signed_note_that_is_not_a_checkpoint_is_refused_as_malformed_checkpoint()
    {
        var signer = Ed25519NoteSigner.Generate(Origin);
        var note = SignedNote.Sign("just one line\n", signer).ToString();

        Assert.Equal(NoteError.MalformedCheckpoint, Checkpoint.Open(note, signer.VerifierKey).Error);
    }

    [Theory]
    [InlineData("origin\n5\n")]
    [InlineData("origin\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")]
    [InlineData("origin\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")]
    [InlineData("origin\nfive\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")]
    [InlineData("origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n")]
    [InlineData("origin\n5\nnot base64!\n")]
    [InlineData("\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")]
    [InlineData("origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")]
    [InlineData("origin\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")]
    public void Malformed_checkpoint_bodies_are_refused(string text)
    {
        Assert.Equal(NoteError.MalformedCheckpoint, Assert.Throws<NoteFormatException>(() => Checkpoint.ParseText(text)).Code);
    }

    [Fact]
    public void Mismatch_with_the_recomputed_tree_names_size_or_root()
    {
        var checkpoint = new Checkpoint(Origin, 7, Root);

        Assert.True(checkpoint.Matches(7, Root).IsValid);
        Assert.Contains("size", checkpoint.Matches(8, Root).Reason);
        Assert.Contains("root", checkpoint.Matches(7, MerkleHasher.EmptyRoot()).Reason);
        Assert.Equal(NoteError.TreeMismatch, checkpoint.Matches(7, MerkleHasher.EmptyRoot()).Error);
    }
}
