using System.Text.Json.Nodes;
using Fleetward.Trust.Canonical;

namespace Fleetward.Trust.Tests.Crypto;

public class CanonicalJsonTests
{
    private static string Canon(string json) => System.Text.Encoding.UTF8.GetString(CanonicalJson.Canonicalize(System.Text.Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Sorts_keys_and_drops_whitespace() =>
        Assert.Equal("{\"a\":[1,true,null],\"b\":{\"c\":\"d\",\"e\":false}}", Canon("{ \"b\": {\"e\": false, \"c\": \"d\"}, \"a\": [1, true, null] }"));

    [Fact]
    public void Escapes_only_quote_and_backslash() =>
        // OLPC leaves control characters and non-ASCII unescaped, as securesystemslib and tuf-js do.
        Assert.Equal("\"q\\\"b\\\\n\nü\"", Canon("\"q\\\"b\\\\n\\nü\""));

    [Fact]
    public void Sorts_keys_by_ordinal_order() => Assert.Equal("{\"B\":1,\"_\":2,\"a\":3}", Canon("{\"a\":3,\"_\":2,\"B\":1}"));

    [Fact]
    public void Refuses_floating_point_numbers_naming_the_path()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(JsonNode.Parse("{\"x\":{\"y\":1.5}}")));
        Assert.Equal("$.x.y", e.Path);
    }

    [Fact]
    public void Writes_negative_and_large_integers() => Assert.Equal("[-1,9007199254740993]", Canon("[-1, 9007199254740993]"));
}
