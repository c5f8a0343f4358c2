using System.Security.Cryptography;
using Fleetward.Trust.Crypto;

namespace Fleetward.Trust.Tests.Crypto;

public class TufSignatureVerifierTests
{
    private static readonly byte[] Message = System.Text.Encoding.UTF8.GetBytes("{\"_type\":\"timestamp\"}");

    public static TheoryData<string> Schemes => new() { "ed25519", "ecdsa", "rsa" };

    private static ITufSigner NewSigner(string kind) => kind switch
    {
        "ed25519" => Ed25519TufSigner.Generate(),
        "ecdsa" => EcdsaTufSigner.Generate(),
        _ => new RsaPssTufSigner(RSA.Create(2048)),
    };

    [Theory, MemberData(nameof(Schemes))]
    public void Verifies_own_signature(string kind)
    {
        var signer = NewSigner(kind);
        Assert.True(TufSignatureVerifier.Verify(signer.PublicKey, Message, signer.Sign(Message)));
    }

    [Theory, MemberData(nameof(Schemes))]
    public void Refuses_signature_over_other_data(string kind)
    {
        var signer = NewSigner(kind);
        var signature = signer.Sign(Message);
        Assert.False(TufSignatureVerifier.Verify(signer.PublicKey, System.Text.Encoding.UTF8.GetBytes("{\"_type\":\"snapshot\"}"), signature));
    }

    [Theory, MemberData(nameof(Schemes))]
    public void Refuses_signature_of_another_key(string kind)
    {
        var signature = NewSigner(kind).Sign(Message);
        Assert.False(TufSignatureVerifier.Verify(NewSigner(kind).PublicKey, Message, signature));
    }

    [Fact]
    public void Ecdsa_signature_is_der_as_securesystemslib_and_tuf_js_expect()
    {
        var signature = EcdsaTufSigner.Generate().Sign(Message);
        Assert.Equal(0x30, signature[0]);
        Assert.Equal(signature.Length - 2, signature[1]);
    }

    [Fact]
    public void Public_key_formats_follow_securesystemslib()
    {
        var ed = Ed25519TufSigner.Generate().PublicKey;
        Assert.Matches("^[0-9a-f]{64}$", ed.PublicValue);
        var ec = EcdsaTufSigner.Generate().PublicKey;
        Assert.Equal("ecdsa", ec.KeyType);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", ec.PublicValue);
        Assert.EndsWith("-----END PUBLIC KEY-----\n", ec.PublicValue);
    }

    [Fact]
    public void Key_id_is_sha256_of_canonical_key_object()
    {
        var key = TufKey.Create("ed25519", "ed25519", "ab");
        var canonical = "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"ab\"},\"scheme\":\"ed25519\"}";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical))), key.KeyId);
    }

    [Fact]
    public void Key_id_covers_fields_a_newer_writer_added()
    {
        var plain = TufKey.Parse(System.Text.Json.Nodes.JsonNode.Parse("{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":\"ab\"}}"), "k");
        var extended = TufKey.Parse(System.Text.Json.Nodes.JsonNode.Parse("{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":\"ab\"},\"keyid_hash_algorithms\":[\"sha256\"]}"), "k");
        Assert.NotEqual(plain.KeyId, extended.KeyId);
    }

    [Fact]
    public void Scheme_mismatch_never_verifies()
    {
        var signer = Ed25519TufSigner.Generate();
        var mislabelled = TufKey.Create("ed25519", "ecdsa-sha2-nistp256", signer.PublicKey.PublicValue);
        Assert.False(TufSignatureVerifier.Verify(mislabelled, Message, signer.Sign(Message)));
    }

    [Fact]
    public void Legacy_ecdsa_key_type_name_is_accepted()
    {
        var signer = EcdsaTufSigner.Generate();
        var legacy = TufKey.Create("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", signer.PublicKey.PublicValue);
        Assert.True(TufSignatureVerifier.Verify(legacy, Message, signer.Sign(Message)));
    }

    [Fact]
    public void Garbage_key_material_does_not_throw()
    {
        var key = TufKey.Create("ecdsa", "ecdsa-sha2-nistp256", "not a pem");
        Assert.False(TufSignatureVerifier.Verify(key, Message, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void Ed25519_signer_round_trips_through_its_seed()
    {
        var signer = Ed25519TufSigner.Generate();
        var restored = Ed25519TufSigner.FromSeed(signer.ExportSeed());
        Assert.Equal(signer.PublicKey.KeyId, restored.PublicKey.KeyId);
    }
}
