using System.Formats.Asn1;

namespace Fleetward.Trust.Pki;

/// <summary>Reads GeneralNames (RFC 5280 4.2.1.6) without trusting the platform's string rendering of them.</summary>
internal static class SubjectAltNames
{
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The DER encoding of each GeneralName in order, for exact comparison (RFC 7030 4.2.2).</summary>
    public static IReadOnlyList<byte[]> EncodedNames(ReadOnlyMemory<byte> extensionValue)
    {
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var names = new List<byte[]>();
        while (sequence.HasData)
        {
            names.Add(sequence.ReadEncodedValue().ToArray());
        }

        return names;
    }

    public static IEnumerable<string> Uris(ReadOnlyMemory<byte> extensionValue)
    {
        foreach (var name in EncodedNames(extensionValue))
        {
            var reader = new AsnReader(name, AsnEncodingRules.DER);
            if (reader.PeekTag() == UriTag)
            {
                yield return reader.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
            }
        }
    }
}
