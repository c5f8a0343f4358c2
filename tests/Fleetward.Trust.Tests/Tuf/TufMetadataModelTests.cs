using System.Text.Json.Nodes;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Trust.Tests.Tuf;

public class TufMetadataModelTests
{
    private static readonly DateTimeOffset Expiry = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RootMetadata NewRoot(TufKey key) => new()
    {
        Version = 1, Expires = Expiry, ConsistentSnapshot = true,
        Keys = new Dictionary<string, TufKey> { [key.KeyId] = key },
        Roles = TufRoles.TopLevel.ToDictionary(r => r, _ => new TufRoleKeys([key.KeyId], 1)),
    };

    private static byte[] Mutate(byte[] file, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(file)!.AsObject();
        change(json["signed"]!.AsObject());
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Fact]
    public void Root_round_trips_and_still_verifies()
    {
        var signer = Ed25519TufSigner.Generate();
        var file = SignedMetadata<RootMetadata>.Create(NewRoot(signer.PublicKey), [signer]).ToBytes();
        var parsed = SignedMetadata<RootMetadata>.Parse(file);
        Assert.Equal(Expiry, parsed.Signed.Expires);
        Assert.True(parsed.Signed.ConsistentSnapshot);
        Assert.True(parsed.VerifyThreshold(parsed.Signed.RoleKeys("root"), parsed.Signed.Keys).IsMet);
        Assert.Equal(file, parsed.ToBytes());
    }

    [Fact]
    public void Writes_spec_field_names()
    {
        var signer = Ed25519TufSigner.Generate();
        var json = JsonNode.Parse(SignedMetadata<RootMetadata>.Create(NewRoot(signer.PublicKey), [signer]).ToBytes())!;
        var signed = json["signed"]!;
        Assert.Equal("root", (string?)signed["_type"]);
        Assert.Equal("2030-01-02T03:04:05Z", (string?)signed["expires"]);
        Assert.StartsWith("1.0.", (string?)signed["spec_version"]);
        Assert.Equal(1, (int?)signed["roles"]!["timestamp"]!["threshold"]);
        Assert.Equal(signer.PublicKey.KeyId, (string?)json["signatures"]![0]!["keyid"]);
    }

    [Fact]
    public void Unknown_fields_are_kept_under_the_signature()
    {
        var signer = Ed25519TufSigner.Generate();
        var file = SignedMetadata<RootMetadata>.Create(NewRoot(signer.PublicKey), []).ToBytes();
        var extended = SignedMetadata<RootMetadata>.Parse(Mutate(file, s => s["x-vendor"] = "kept")).AddSignatures([signer]);
        var reparsed = SignedMetadata<RootMetadata>.Parse(extended.ToBytes());
        Assert.True(reparsed.VerifyThreshold(reparsed.Signed.RoleKeys("root"), reparsed.Signed.Keys).IsMet);
    }

    public static TheoryData<string, string> BadFields => new()
    {
        { "_type", "signed._type" },
        { "expires", "signed.expires" },
        { "spec_version", "signed.spec_version" },
        { "version", "signed.version" },
        { "roles.snapshot", "signed.roles.snapshot" },
        { "roles.timestamp.keyids", "signed.roles.timestamp.keyids[1]" },
        { "consistent_snapshot", "signed.consistent_snapshot" },
    };

    [Theory, MemberData(nameof(BadFields))]
    public void Bad_root_fields_are_named(string change, string expectedField)
    {
        var signer = Ed25519TufSigner.Generate();
        var file = SignedMetadata<RootMetadata>.Create(NewRoot(signer.PublicKey), [signer]).ToBytes();
        var bad = Mutate(file, s =>
        {
            switch (change)
            {
                case "_type": s["_type"] = "targets"; break;
                case "expires": s["expires"] = "2030-01-02 03:04:05"; break;
                case "spec_version": s["spec_version"] = "2.0.0"; break;
                case "version": s["version"] = 0; break;
                case "roles.snapshot": s["roles"]!.AsObject().Remove("snapshot"); break;
                case "roles.timestamp.keyids": s["roles"]!["timestamp"]!["keyids"] = new JsonArray("a", "a"); break;
                case "consistent_snapshot": s.Remove("consistent_snapshot"); break;
            }
        });
        var e = Assert.Throws<TufMetadataFormatException>(() => SignedMetadata<RootMetadata>.Parse(bad));
        Assert.Equal(expectedField, e.Field);
    }

    [Theory]
    [InlineData("{\"signed\":{\"_type\":\"\\ud800\"},\"signatures\":[]}")]
    [InlineData("{\"signed\":{\"_type\":\"timestamp\"},\"signatures\":[{\"keyid\":\"\\udc00\",\"sig\":\"00\"}]}")]
    public void A_lone_surrogate_from_a_mirror_is_a_format_error_not_a_crash(string json)
    {
        var e = Assert.ThrowsAny<Exception>(() => SignedMetadata<TimestampMetadata>.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.IsType<TufMetadataFormatException>(e);
    }

    [Fact]
    public void Delegation_needs_exactly_one_of_paths_and_hash_prefixes()
    {
        var json = new JsonObject
        {
            ["signatures"] = new JsonArray(),
            ["signed"] = new JsonObject
            {
                ["_type"] = "targets", ["spec_version"] = "1.0.31", ["version"] = 1, ["expires"] = "2030-01-01T00:00:00Z",
                ["targets"] = new JsonObject(),
                ["delegations"] = new JsonObject
                {
                    ["keys"] = new JsonObject(),
                    ["roles"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "security", ["keyids"] = new JsonArray(), ["threshold"] = 1, ["terminating"] = true,
                        ["paths"] = new JsonArray("a/*"), ["path_hash_prefixes"] = new JsonArray("ab"),
                    }),
                },
            },
        };
        var e = Assert.Throws<TufMetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString())));
        Assert.Equal("signed.delegations.roles[0]", e.Field);
    }

    [Fact]
    public void Float_length_is_refused_naming_the_target()
    {
        var json = "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"spec_version\":\"1.0\",\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{\"fw.bin\":{\"length\":1.5,\"hashes\":{\"sha256\":\"ab\"}}}}}";
        var e = Assert.Throws<TufMetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal("signed.targets.fw.bin.length", e.Field);
    }

    [Fact]
    public void Duplicate_json_properties_are_refused()
    {
        var json = "{\"signatures\":[],\"signatures\":[],\"signed\":{}}";
        Assert.Throws<TufMetadataFormatException>(() => SignedMetadata<TargetsMetadata>.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("firmware/*", "firmware/a.bin", true)]
    [InlineData("firmware/*", "firmware/sub/a.bin", false)]
    [InlineData("firmware/*.bin", "firmware/a.img", false)]
    [InlineData("*/a.bin", "x/a.bin", true)]
    [InlineData("fw-v?.bin", "fw-v2.bin", true)]
    [InlineData("fw-[ab].bin", "fw-c.bin", false)]
    public void Delegated_paths_match_segment_by_segment(string pattern, string path, bool expected)
    {
        var role = new DelegatedRole { Name = "r", Keys = new TufRoleKeys([], 1), Paths = [pattern] };
        Assert.Equal(expected, role.IsDelegatedPath(path));
    }

    [Fact]
    public void Hash_prefix_delegation_matches_sha256_of_path()
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("fw.bin"u8));
        Assert.True(new DelegatedRole { Name = "r", Keys = new([], 1), PathHashPrefixes = [hash[..2]] }.IsDelegatedPath("fw.bin"));
        Assert.False(new DelegatedRole { Name = "r", Keys = new([], 1), PathHashPrefixes = [hash[..2] == "00" ? "01" : "00"] }.IsDelegatedPath("fw.bin"));
    }
}

public class TufThresholdVerifierTests
{
    private static readonly byte[] Data = "{\"signed\":1}"u8.ToArray();

    private static TufSignature Sign(ITufSigner signer, string? keyId = null) =>
        new(keyId ?? signer.PublicKey.KeyId, Convert.ToHexStringLower(signer.Sign(Data)));

    [Fact]
    public void Counts_each_key_id_once_even_with_repeated_signatures()
    {
        var a = Ed25519TufSigner.Generate();
        var b = Ed25519TufSigner.Generate();
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [b.PublicKey.KeyId] = b.PublicKey };
        var role = new TufRoleKeys([a.PublicKey.KeyId, b.PublicKey.KeyId], 2);
        var result = TufThresholdVerifier.Verify(role, keys, [Sign(a), Sign(a)], Data);
        Assert.False(result.IsMet);
        Assert.Single(result.ValidKeyIds);
    }

    [Fact]
    public void Counts_one_key_listed_under_two_ids_once()
    {
        var a = Ed25519TufSigner.Generate();
        var alias = TufKey.Create("ed25519", "ed25519", a.PublicKey.PublicValue.ToUpperInvariant());
        Assert.NotEqual(a.PublicKey.KeyId, alias.KeyId);
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [alias.KeyId] = alias };
        var role = new TufRoleKeys([a.PublicKey.KeyId, alias.KeyId], 2);
        Assert.False(TufThresholdVerifier.Verify(role, keys, [Sign(a), Sign(a, alias.KeyId)], Data).IsMet);
    }

    [Fact]
    public void Counts_one_ed25519_key_listed_as_hex_and_as_pem_once()
    {
        var a = Ed25519TufSigner.Generate();
        var spki = Convert.FromHexString("302a300506032b6570032100" + a.PublicKey.PublicValue);
        var pemAlias = TufKey.Create("ed25519", "ed25519", new string(System.Security.Cryptography.PemEncoding.Write("PUBLIC KEY", spki)));
        Assert.NotEqual(a.PublicKey.KeyId, pemAlias.KeyId);
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [pemAlias.KeyId] = pemAlias };
        var role = new TufRoleKeys([a.PublicKey.KeyId, pemAlias.KeyId], 2);
        Assert.False(TufThresholdVerifier.Verify(role, keys, [Sign(a), Sign(a, pemAlias.KeyId)], Data).IsMet);
    }

    [Fact]
    public void Counts_one_ecdsa_key_listed_with_named_and_explicit_curve_once()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var a = new EcdsaTufSigner(key);
        using var explicitKey = System.Security.Cryptography.ECDsa.Create();
        explicitKey.ImportParameters(key.ExportExplicitParameters(includePrivateParameters: false));
        var explicitPem = new string(System.Security.Cryptography.PemEncoding.Write("PUBLIC KEY", explicitKey.ExportSubjectPublicKeyInfo()));
        var alias = TufKey.Create("ecdsa", "ecdsa-sha2-nistp256", explicitPem);
        Assert.NotEqual(a.PublicKey.PublicValue, alias.PublicValue);
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [alias.KeyId] = alias };
        var role = new TufRoleKeys([a.PublicKey.KeyId, alias.KeyId], 2);
        Assert.False(TufThresholdVerifier.Verify(role, keys, [Sign(a), Sign(a, alias.KeyId)], Data).IsMet);
    }

    [Fact]
    public void Ignores_signatures_of_keys_not_authorized_for_the_role()
    {
        var a = Ed25519TufSigner.Generate();
        var other = Ed25519TufSigner.Generate();
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [other.PublicKey.KeyId] = other.PublicKey };
        Assert.False(TufThresholdVerifier.Verify(new TufRoleKeys([a.PublicKey.KeyId], 1), keys, [Sign(other)], Data).IsMet);
    }

    [Fact]
    public void Meets_threshold_with_distinct_valid_keys()
    {
        var a = EcdsaTufSigner.Generate();
        var b = Ed25519TufSigner.Generate();
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey, [b.PublicKey.KeyId] = b.PublicKey };
        Assert.True(TufThresholdVerifier.Verify(new TufRoleKeys([a.PublicKey.KeyId, b.PublicKey.KeyId], 2), keys, [Sign(a), Sign(b)], Data).IsMet);
    }

    [Fact]
    public void Malformed_signature_hex_does_not_count_or_throw()
    {
        var a = Ed25519TufSigner.Generate();
        var keys = new Dictionary<string, TufKey> { [a.PublicKey.KeyId] = a.PublicKey };
        Assert.False(TufThresholdVerifier.Verify(new TufRoleKeys([a.PublicKey.KeyId], 1), keys, [new TufSignature(a.PublicKey.KeyId, "zz")], Data).IsMet);
    }
}

public class SignedMetadataFileTests
{
    [Fact]
    public void Files_with_pem_keys_are_valid_json_and_still_verify()
    {
        var signer = EcdsaTufSigner.Generate();
        var root = new RootMetadata
        {
            Version = 1, Expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), ConsistentSnapshot = true,
            Keys = new Dictionary<string, TufKey> { [signer.PublicKey.KeyId] = signer.PublicKey },
            Roles = TufRoles.TopLevel.ToDictionary(r => r, _ => new TufRoleKeys([signer.PublicKey.KeyId], 1)),
        };
        var file = SignedMetadata<RootMetadata>.Create(root, [signer]).ToBytes();
        using var document = System.Text.Json.JsonDocument.Parse(file);
        var parsed = SignedMetadata<RootMetadata>.Parse(file);
        Assert.Equal(signer.PublicKey.PublicValue, parsed.Signed.Keys[signer.PublicKey.KeyId].PublicValue);
        Assert.True(parsed.VerifyThreshold(parsed.Signed.RoleKeys("root"), parsed.Signed.Keys).IsMet);
    }
}
