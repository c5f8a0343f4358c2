using System.Security.Cryptography;
using Fleetward.Trust.Notes;

namespace Fleetward.Trust.Tests.Notes;

public sealed class SignedNoteTests
{
    // Known-answer vector from golang.org/x/mod/sumdb/note (the documentation example, also used by C2SP
    // implementations): a public verifier key and the note it signed.
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string GoText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string GoNote = GoText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    // Sigstore Rekor's public ECDSA P-256 verifier key in the same form (transparency-dev/formats tests):
    // its key hash is SHA-256 of the SPKI, without the name.
    private const string RekorVerifierKey = "rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc=";

    [Fact]
    public void Go_reference_note_verifies_with_its_verifier_key()
    {
        var key = NoteVerifierKey.Parse(GoVerifierKey);

        var result = SignedNote.Open(GoNote, [key]);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(GoText, result.Note!.Text);
        Assert.Equal(GoNote, result.Note.ToString());
        Assert.Equal(0xc74f20a3u, key.KeyId);
        Assert.Equal(GoVerifierKey, key.ToString());
    }

    [Fact]
    public void Go_reference_note_with_one_changed_character_is_refused_as_bad_signature()
    {
        var result = SignedNote.Open(GoNote.Replace("cryptography", "cryptographY"), [NoteVerifierKey.Parse(GoVerifierKey)]);

        Assert.False(result.IsValid);
        Assert.Equal(NoteError.BadSignature, result.Error);
    }

    [Fact]
    public void Rekor_ecdsa_verifier_key_parses_with_the_spki_key_hash()
    {
        var key = NoteVerifierKey.Parse(RekorVerifierKey);

        Assert.Equal(NoteSignatureType.EcdsaSha256, key.Type);
        Assert.Equal(0xc0d23d6au, key.KeyId);
        Assert.Equal(RekorVerifierKey, key.ToString());
    }

    [Fact]
    public void Ed25519_round_trip_sign_and_open()
    {
        var signer = Ed25519NoteSigner.Generate("fleetward.test/log");
        var note = SignedNote.Sign("hello\nworld\n", signer).ToString();

        var result = SignedNote.Open(note, [NoteVerifierKey.Parse(signer.VerifierKey.ToString())]);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("hello\nworld\n", result.Note!.Text);
    }

    [Fact]
    public void Ed25519_signer_from_exported_seed_has_the_same_key()
    {
        var signer = Ed25519NoteSigner.Generate("fleetward.test/log");

        var restored = Ed25519NoteSigner.FromSeed("fleetward.test/log", signer.ExportSeed());

        Assert.Equal(signer.VerifierKey.ToString(), restored.VerifierKey.ToString());
    }

    [Fact]
    public void Signer_key_text_round_trips_and_refuses_a_wrong_hash()
    {
        var signer = Ed25519NoteSigner.Generate("fleetward.test/log");
        var skey = signer.ToSignerKey();

        Assert.Equal(signer.VerifierKey.ToString(), Ed25519NoteSigner.ParseSignerKey(skey).VerifierKey.ToString());
        var parts = skey.Split('+', 5);
        var wrongHash = $"PRIVATE+KEY+{parts[2]}+{(signer.VerifierKey.KeyId ^ 1):x8}+{parts[4]}";
        Assert.Equal(NoteError.InvalidVerifierKey, Assert.Throws<NoteFormatException>(() => Ed25519NoteSigner.ParseSignerKey(wrongHash)).Code);
    }

    [Fact]
    public void Ecdsa_p256_round_trip_sign_and_open()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new EcdsaNoteSigner("fleetward.test/log", ecdsa);
        var note = SignedNote.Sign("hello\n", signer).ToString();

        var result = SignedNote.Open(note, [NoteVerifierKey.Parse(signer.VerifierKey.ToString())]);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(NoteSignatureType.EcdsaSha256, signer.VerifierKey.Type);
    }

    [Fact]
    public void Ecdsa_p384_signs_with_sha256_as_type_0x02_requires()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var signer = new EcdsaNoteSigner("fleetward.test/log", ecdsa);
        var note = SignedNote.Sign("hello\n", signer);

        Assert.True(ecdsa.VerifyHash(SHA256.HashData("hello\n"u8), note.Signatures[0].Signature, DSASignatureFormat.Rfc3279DerSequence));
        Assert.True(SignedNote.Open(note.ToString(), [signer.VerifierKey]).IsValid);
    }

    [Fact]
    public void Ecdsa_on_an_unassigned_curve_is_refused()
    {
        using var ecdsa = ECDsa.Create(ECCurve.CreateFromFriendlyName("brainpoolP256r1"));

        var error = Assert.Throws<NoteFormatException>(() => new EcdsaNoteSigner("fleetward.test/log", ecdsa));

        Assert.Equal(NoteError.InvalidVerifierKey, error.Code);
    }

    [Fact]
    public void Signatures_from_unknown_keys_are_ignored_when_a_trusted_one_verifies()
    {
        var log = Ed25519NoteSigner.Generate("log.example");
        var witness = Ed25519NoteSigner.Generate("witness.example");
        var note = SignedNote.Sign("text\n", witness, log).ToString();

        var result = SignedNote.Open(note, [log.VerifierKey]);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([log.VerifierKey], result.VerifiedBy);
    }

    [Fact]
    public void A_note_signed_only_by_unknown_keys_is_refused_as_unknown_key()
    {
        var note = SignedNote.Sign("text\n", Ed25519NoteSigner.Generate("other.example")).ToString();

        var result = SignedNote.Open(note, [Ed25519NoteSigner.Generate("log.example").VerifierKey]);

        Assert.Equal(NoteError.UnknownKey, result.Error);
    }

    [Fact]
    public void Same_name_with_a_different_key_id_is_an_unknown_key_not_a_bad_signature()
    {
        var note = SignedNote.Sign("text\n", Ed25519NoteSigner.Generate("log.example")).ToString();

        var result = SignedNote.Open(note, [Ed25519NoteSigner.Generate("log.example").VerifierKey]);

        Assert.Equal(NoteError.UnknownKey, result.Error);
    }

    [Fact]
    public void A_failing_signature_from_a_trusted_key_refuses_the_note_even_if_another_verifies()
    {
        var log = Ed25519NoteSigner.Generate("log.example");
        var good = SignedNote.Sign("text\n", log);
        var bad = SignedNote.Sign("other\n", log);
        var note = good.ToString() + bad.ToString().Split("\n\n")[1];

        var result = SignedNote.Open(note, [log.VerifierKey]);

        Assert.Equal(NoteError.BadSignature, result.Error);
    }

    [Theory]
    [InlineData("text\n\u2014 log.example AAAAAAAA\n", NoteError.MissingBlankLine)]
    [InlineData("text\n\n", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n- log.example AAAAAAAA\n", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n\u2014 log.example AAAAAAAA", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n\u2014 log.example\n", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n\u2014 log.example AAAA\n", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n\u2014 log.example not*base64\n", NoteError.MalformedSignatureLine)]
    [InlineData("text\n\n\u2014 log+example AAAAAAAA\n", NoteError.MalformedSignatureLine)]
    [InlineData("te\txt\n\n\u2014 log.example AAAAAAAA\n", NoteError.MalformedNote)]
    public void Malformed_notes_are_refused_with_a_precise_code(string note, NoteError expected)
    {
        var error = Assert.Throws<NoteFormatException>(() => SignedNote.Parse(note));

        Assert.Equal(expected, error.Code);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var error = Assert.Throws<NoteFormatException>(() => SignedNote.Parse(new byte[] { 0x74, 0xff, 0x0a, 0x0a }));

        Assert.Equal(NoteError.MalformedNote, error.Code);
    }

    [Fact]
    public void Too_many_signatures_are_refused()
    {
        var line = "\u2014 log.example AAAAAAAA\n";
        var note = "text\n\n" + string.Concat(Enumerable.Repeat(line, SignedNote.MaxSignatures + 1));

        Assert.Equal(NoteError.TooManySignatures, Assert.Throws<NoteFormatException>(() => SignedNote.Parse(note)).Code);
    }

    [Theory]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // wrong hash
    [InlineData("PeterNeumann+c74f20a3")] // missing key
    [InlineData("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // short hash
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // space in name
    [InlineData("PeterNeumann+c74f20a3+BRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")] // unknown type
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10")] // truncated key
    public void Mangled_verifier_keys_are_refused(string vkey)
    {
        var error = Assert.Throws<NoteFormatException>(() => NoteVerifierKey.Parse(vkey));

        Assert.Equal(NoteError.InvalidVerifierKey, error.Code);
    }
}
