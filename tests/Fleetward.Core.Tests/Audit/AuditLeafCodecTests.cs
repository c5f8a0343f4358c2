using Fleetward.Core.Audit;
using Fleetward.Trust.Merkle;

namespace Fleetward.Core.Tests.Audit;

public sealed class AuditLeafCodecTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 8, 30, 15, 123, TimeSpan.Zero);

    private static AuditEvent Sample() =>
        new("device.quarantined", At, "operator:alice", "device:robot-17", """{"reason":"anomaly","score":0.97,"tags":["a","b"]}""");

    [Fact]
    public void Encoding_round_trips()
    {
        var decoded = AuditLeafCodec.Decode(AuditLeafCodec.Encode(Sample()));

        Assert.Equal(Sample() with { PayloadJson = """{"reason":"anomaly","score":0.97,"tags":["a","b"]}""" }, decoded);
    }

    [Fact]
    public void Layout_is_the_documented_one()
    {
        var leaf = AuditLeafCodec.Encode(new AuditEvent("t", DateTimeOffset.FromUnixTimeMilliseconds(258), "a", "", "{}"));

        Assert.Equal(
            Convert.FromHexString("01" + "0001" + "74" + "0000000000000102" + "0001" + "61" + "0000" + "00000002" + "7b7d"),
            leaf);
    }

    [Fact]
    public void Equivalent_payloads_encode_identically()
    {
        var a = Sample() with { PayloadJson = """{ "tags" : ["a","b"], "score": 97e-2, "reason": "anomaly" }""" };

        Assert.Equal(AuditLeafCodec.Encode(Sample()), AuditLeafCodec.Encode(a));
    }

    [Theory]
    [InlineData("""{"n":1.50}""", """{"n":1.5}""")]
    [InlineData("""{"n":-0.0}""", """{"n":0}""")]
    [InlineData("""{"n":1E3}""", """{"n":1000}""")]
    [InlineData("""{"n":0.0500}""", """{"n":0.05}""")]
    [InlineData("""{"s":"caf\u00e9 \"q\" \n"}""", "{\"s\":\"café \\\"q\\\" \\n\"}")]
    [InlineData("""{"b":{"z":null,"a":true}}""", """{"b":{"a":true,"z":null}}""")]
    public void Payload_is_canonicalised(string payload, string canonical)
    {
        var decoded = AuditLeafCodec.Decode(AuditLeafCodec.Encode(Sample() with { PayloadJson = payload }));

        Assert.Equal(canonical, decoded.PayloadJson);
    }

    [Fact]
    public void Time_is_utc_with_millisecond_precision()
    {
        var local = new DateTimeOffset(2026, 11, 21, 10, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);

        var decoded = AuditLeafCodec.Decode(AuditLeafCodec.Encode(Sample() with { Time = local }));

        Assert.Equal(At, decoded.Time);
        Assert.Equal(TimeSpan.Zero, decoded.Time.Offset);
    }

    [Fact]
    public void Any_field_change_changes_the_leaf_hash()
    {
        var original = AuditLeafCodec.LeafHash(Sample());
        AuditEvent[] changed =
        [
            Sample() with { Type = "device.released" },
            Sample() with { Time = At.AddMilliseconds(1) },
            Sample() with { Actor = "operator:bob" },
            Sample() with { Subject = "device:robot-18" },
            Sample() with { PayloadJson = """{"reason":"anomaly","score":0.98,"tags":["a","b"]}""" },
            Sample() with { PayloadJson = """{"reason":"anomaly","score":0.97,"tags":["b","a"]}""" },
        ];

        foreach (var e in changed)
        {
            Assert.NotEqual(original, AuditLeafCodec.LeafHash(e));
        }
    }

    [Fact]
    public void Moving_bytes_between_fields_changes_the_leaf()
    {
        var a = new AuditEvent("ab", At, "c", "d", "{}");
        var b = new AuditEvent("a", At, "bc", "d", "{}");

        Assert.NotEqual(AuditLeafCodec.Encode(a), AuditLeafCodec.Encode(b));
    }

    [Fact]
    public void Leaf_hash_is_the_rfc6962_hash_of_the_encoding()
    {
        Assert.Equal(MerkleHasher.HashLeaf(AuditLeafCodec.Encode(Sample())), AuditLeafCodec.LeafHash(Sample()));
    }

    [Theory]
    [InlineData("", "operator", "{}", "type")]
    [InlineData("t", "", "{}", "actor")]
    [InlineData("t", "operator", "[1]", "payload")]
    [InlineData("t", "operator", "{\"a\":1,\"a\":2}", "payload")]
    [InlineData("t", "operator", "{\"a\":}", "payload")]
    [InlineData("t", "operator", "{\"a\":1e999}", "payload.a")]
    [InlineData("t", "operator", "{\"a\":1e-9223372036854775808}", "payload.a")]
    public void Bad_events_are_refused_naming_the_field(string type, string actor, string payload, string field)
    {
        var error = Assert.Throws<AuditLeafFormatException>(() => AuditLeafCodec.Encode(new AuditEvent(type, At, actor, "s", payload)));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Non_canonical_leaf_bytes_are_refused()
    {
        var leaf = AuditLeafCodec.Encode(new AuditEvent("t", At, "a", "", "{}"));
        var spaced = leaf[..^6].Concat(new byte[] { 0, 0, 0, 4 }).Concat("{ }\n"u8.ToArray()).ToArray();

        Assert.Equal("leaf", Assert.Throws<AuditLeafFormatException>(() => AuditLeafCodec.Decode(spaced)).Field);
    }

    [Fact]
    public void Truncated_or_extended_leaves_are_refused()
    {
        var leaf = AuditLeafCodec.Encode(Sample());

        Assert.Throws<AuditLeafFormatException>(() => AuditLeafCodec.Decode(leaf[..^1]));
        Assert.Throws<AuditLeafFormatException>(() => AuditLeafCodec.Decode(leaf.Append((byte)0).ToArray()));
        Assert.Equal("version", Assert.Throws<AuditLeafFormatException>(() => AuditLeafCodec.Decode(new byte[] { 2 })).Field);
    }
}
