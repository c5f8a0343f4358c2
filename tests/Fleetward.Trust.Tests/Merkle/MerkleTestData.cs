using System.Text.Json;

namespace Fleetward.Trust.Tests.Merkle;

/// <summary>Reads the language-neutral JSON vectors in TestData/merkle.</summary>
internal static class MerkleTestData
{
    public static JsonElement Load(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "merkle", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static byte[] Hex(JsonElement element) => Convert.FromHexString(element.GetString()!);

    public static List<byte[]> HexList(JsonElement element) => element.EnumerateArray().Select(Hex).ToList();

    public static byte[] LeafHash(string hex) => Fleetward.Trust.Merkle.MerkleHasher.HashLeaf(Convert.FromHexString(hex));

    public static List<byte[]> ReferenceLeafHashes() =>
        Load("rfc6962-vectors.json").GetProperty("leaves").EnumerateArray().Select(e => LeafHash(e.GetString()!)).ToList();
}
