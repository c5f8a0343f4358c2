using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>One entry of an EST /csrattrs answer (RFC 7030 4.5.2 AttrOrOID): a bare OID, or an attribute whose values are OIDs.</summary>
public sealed record CsrAttribute(string Oid, IReadOnlyList<string>? ValueOids = null);

/// <summary>
/// The bytes EST (RFC 7030) puts on the wire, both directions, so server and agent share one encoder: base64 DER
/// bodies (4.1.3, 4.2.1; RFC 8951 2: no line breaks on output, no Content-Transfer-Encoding needed), PKCS#7
/// certs-only (4.1.3, 4.2.3) and CsrAttrs (4.5.2). Hand-built with System.Formats.Asn1 because SignedCms is not in
/// the shared framework.
/// </summary>
public static class EstWireFormat
{
    public const string CertsOnlyMediaType = "application/pkcs7-mime; smime-type=certs-only";
    public const string Pkcs10MediaType = "application/pkcs10";
    public const string CsrAttrsMediaType = "application/csrattrs";

    /// <summary>Caps the base64 text of a request body: a CSR of <see cref="CertificateRequestValidator.MaxRequestBytes"/> plus line breaks.</summary>
    public const int MaxBase64BodyChars = 24 * 1024;

    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string DataOid = "1.2.840.113549.1.7.1";
    /// <summary>[0], constructed: both the EXPLICIT content of ContentInfo and the IMPLICIT certificates SET use it.</summary>
    private static readonly Asn1Tag ContextZero = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>
    /// What Fleetward asks devices for: an ECDSA P-256 key (RFC 7030 4.5.2 example: attribute id-ecPublicKey with
    /// the curve as value) signed with ecdsa-with-SHA256.
    /// </summary>
    public static IReadOnlyList<CsrAttribute> DefaultCsrAttributes { get; } =
    [
        new("1.2.840.10045.4.3.2"),
        new("1.2.840.10045.2.1", ["1.2.840.10045.3.1.7"]),
    ];

    /// <summary>Base64 of the DER, on one line (RFC 8951 2 corrects RFC 7030's line-break wording).</summary>
    public static string EncodeBase64(ReadOnlySpan<byte> der) => Convert.ToBase64String(der);

    /// <summary>
    /// Decodes a base64 request body. Line breaks and other whitespace are tolerated (clients such as
    /// <c>openssl base64</c> wrap at 64 columns); anything else outside the base64 alphabet is refused, and so is PEM.
    /// </summary>
    public static PkiResult<byte[]> DecodeBase64Body(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return PkiResult<byte[]>.Failure(PkiErrorCodes.Base64Invalid, "body", "The body is empty; expected base64-encoded DER.");
        }

        if (body.Length > MaxBase64BodyChars)
        {
            return PkiResult<byte[]>.Failure(PkiErrorCodes.BodyTooLarge, "body", $"The body has {body.Length} characters; at most {MaxBase64BodyChars} are accepted.");
        }

        if (body.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return PkiResult<byte[]>.Failure(PkiErrorCodes.Base64Invalid, "body", "The body is PEM; EST expects bare base64-encoded DER without the BEGIN/END lines (RFC 7030 4.2.1).");
        }

        var compact = new char[body.Length];
        var length = 0;
        foreach (var c in body)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            {
                return PkiResult<byte[]>.Failure(PkiErrorCodes.Base64Invalid, "body", $"The body contains '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}', which is not in the base64 alphabet (RFC 4648 4).");
            }

            compact[length++] = c;
        }

        var decoded = new byte[length];
        if (!Convert.TryFromBase64Chars(compact.AsSpan(0, length), decoded, out var written) || written == 0)
        {
            return PkiResult<byte[]>.Failure(PkiErrorCodes.Base64Invalid, "body", "The body is not valid base64: its length or padding is wrong (RFC 4648 4).");
        }

        return PkiResult<byte[]>.Success(decoded.AsSpan(0, written).ToArray());
    }

    /// <summary>
    /// A degenerate CMS SignedData holding only certificates (RFC 5652 5.1, RFC 7030 4.1.3): version 1, no digest
    /// algorithms, encapsulated id-data without content, no signers. DER sorts the certificate SET.
    /// </summary>
    public static byte[] EncodeCertsOnly(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(SignedDataOid);
            using (writer.PushSequence(ContextZero))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(DataOid);
                }

                var any = false;
                using (writer.PushSetOf(ContextZero))
                {
                    foreach (var certificate in certificates)
                    {
                        writer.WriteEncodedValue(certificate.RawData);
                        any = true;
                    }
                }

                if (!any)
                {
                    throw new ArgumentException("A certs-only message needs at least one certificate.", nameof(certificates));
                }

                using (writer.PushSetOf())
                {
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>Reads the certificates out of a certs-only message (the agent's side of /simpleenroll and /cacerts).</summary>
    public static PkiResult<IReadOnlyList<X509Certificate2>> DecodeCertsOnly(ReadOnlySpan<byte> der)
    {
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.BER);
            var contentInfo = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (contentInfo.ReadObjectIdentifier() != SignedDataOid)
            {
                return PkiResult<IReadOnlyList<X509Certificate2>>.Failure(PkiErrorCodes.DerInvalid, "contentType", "The message is not CMS SignedData.");
            }

            var signedData = contentInfo.ReadSequence(ContextZero).ReadSequence();
            signedData.ReadInteger();
            signedData.ReadSetOf();
            signedData.ReadSequence();
            var certificates = new List<X509Certificate2>();
            if (signedData.HasData && signedData.PeekTag() == ContextZero)
            {
                var set = signedData.ReadSetOf(ContextZero);
                while (set.HasData)
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(set.ReadEncodedValue().Span));
                }
            }

            if (certificates.Count == 0)
            {
                return PkiResult<IReadOnlyList<X509Certificate2>>.Failure(PkiErrorCodes.DerInvalid, "certificates", "The certs-only message carries no certificate.");
            }

            return PkiResult<IReadOnlyList<X509Certificate2>>.Success(certificates);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return PkiResult<IReadOnlyList<X509Certificate2>>.Failure(PkiErrorCodes.DerInvalid, "body", $"The body is not a PKCS#7 certs-only message: {e.Message}");
        }
    }

    /// <summary>CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID (RFC 7030 4.5.2); an empty list is legal.</summary>
    public static byte[] EncodeCsrAttributes(IEnumerable<CsrAttribute> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var attribute in attributes)
            {
                if (attribute.ValueOids is null)
                {
                    writer.WriteObjectIdentifier(attribute.Oid);
                    continue;
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(attribute.Oid);
                    using (writer.PushSetOf())
                    {
                        foreach (var value in attribute.ValueOids)
                        {
                            writer.WriteObjectIdentifier(value);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>Reads a CsrAttrs answer; attribute values that are not OIDs are skipped, since the agent acts only on OIDs.</summary>
    public static PkiResult<IReadOnlyList<CsrAttribute>> DecodeCsrAttributes(ReadOnlySpan<byte> der)
    {
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var result = new List<CsrAttribute>();
            while (sequence.HasData)
            {
                if (sequence.PeekTag() == Asn1Tag.ObjectIdentifier)
                {
                    result.Add(new CsrAttribute(sequence.ReadObjectIdentifier()));
                    continue;
                }

                var attribute = sequence.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                attribute.ThrowIfNotEmpty();
                var oids = new List<string>();
                while (values.HasData)
                {
                    if (values.PeekTag() == Asn1Tag.ObjectIdentifier)
                    {
                        oids.Add(values.ReadObjectIdentifier());
                    }
                    else
                    {
                        values.ReadEncodedValue();
                    }
                }

                result.Add(new CsrAttribute(type, oids));
            }

            return PkiResult<IReadOnlyList<CsrAttribute>>.Success(result);
        }
        catch (AsnContentException e)
        {
            return PkiResult<IReadOnlyList<CsrAttribute>>.Failure(PkiErrorCodes.DerInvalid, "body", $"The body is not a CsrAttrs sequence (RFC 7030 4.5.2): {e.Message}");
        }
    }
}
