using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// Checks a PKCS#10 certificate request (RFC 2986) from an EST client (RFC 7030 4.2) before anything is issued:
/// structure, proof of possession (the self-signature, RFC 7030 3.4), key policy (ECDSA P-256/P-384, RSA 2048..8192),
/// and for enrollment and re-enrollment the identity it asks for. Every refusal is a <see cref="PkiError"/> naming the field.
/// </summary>
public static class CertificateRequestValidator
{
    /// <summary>No legitimate request with an RSA 8192 key comes close; the limit stops parser work on junk.</summary>
    public const int MaxRequestBytes = 16 * 1024;

    public const int MinRsaKeyBits = 2048;
    public const int MaxRsaKeyBits = 8192;

    internal const string SubjectAltNameOid = "2.5.29.17";
    private const string ExtensionRequestOid = "1.2.840.113549.1.9.14";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";
    private const string P192Oid = "1.2.840.10045.3.1.1";
    private const string P224Oid = "1.3.132.0.33";

    private static readonly Dictionary<string, (string KeyAlgorithm, HashAlgorithmName Hash)> SignatureAlgorithms = new()
    {
        ["1.2.840.10045.4.3.2"] = (EcPublicKeyOid, HashAlgorithmName.SHA256),
        ["1.2.840.10045.4.3.3"] = (EcPublicKeyOid, HashAlgorithmName.SHA384),
        ["1.2.840.10045.4.3.4"] = (EcPublicKeyOid, HashAlgorithmName.SHA512),
        ["1.2.840.113549.1.1.11"] = (RsaEncryptionOid, HashAlgorithmName.SHA256),
        ["1.2.840.113549.1.1.12"] = (RsaEncryptionOid, HashAlgorithmName.SHA384),
        ["1.2.840.113549.1.1.13"] = (RsaEncryptionOid, HashAlgorithmName.SHA512),
    };

    private static readonly Dictionary<string, string> WeakSignatureAlgorithms = new()
    {
        ["1.2.840.10045.4.1"] = "ecdsa-with-SHA1",
        ["1.2.840.113549.1.1.5"] = "sha1WithRSAEncryption",
        ["1.2.840.113549.1.1.4"] = "md5WithRSAEncryption",
    };

    /// <summary>Structure, proof of possession and key policy; no identity rules.</summary>
    public static PkiResult<VerifiedCertificateRequest> Validate(ReadOnlySpan<byte> der)
    {
        if (der.Length > MaxRequestBytes)
        {
            return Fail(PkiErrorCodes.BodyTooLarge, "csr", $"The certificate request is {der.Length} bytes; at most {MaxRequestBytes} are accepted.");
        }

        if (der.IsEmpty)
        {
            return Fail(PkiErrorCodes.DerInvalid, "csr", "The certificate request is empty.");
        }

        var bytes = der.ToArray();
        ParsedRequest parsed;
        try
        {
            parsed = Parse(bytes);
        }
        catch (AsnContentException e)
        {
            return Fail(PkiErrorCodes.DerInvalid, "csr", $"The certificate request is not a DER-encoded PKCS#10 CertificationRequest (RFC 2986 4): {e.Message}");
        }
        catch (CryptographicException e)
        {
            return Fail(PkiErrorCodes.DerInvalid, "csr", $"The certificate request is not a DER-encoded PKCS#10 CertificationRequest (RFC 2986 4): {e.Message}");
        }

        if (parsed.Version != 0)
        {
            return Fail(PkiErrorCodes.VersionUnsupported, "csr.version", $"RFC 2986 4.1 defines only version 0 (v1); got {parsed.Version}.");
        }

        var key = CheckKeyPolicy(parsed);
        if (key.Error is not null)
        {
            return PkiResult<VerifiedCertificateRequest>.Failure(key.Error);
        }

        using var verifier = key.Verifier!;
        var signatureError = VerifySignature(parsed, verifier);
        if (signatureError is not null)
        {
            return PkiResult<VerifiedCertificateRequest>.Failure(signatureError);
        }

        return PkiResult<VerifiedCertificateRequest>.Success(new VerifiedCertificateRequest(
            bytes,
            parsed.Subject,
            PublicKey.CreateFromSubjectPublicKeyInfo(parsed.SubjectPublicKeyInfo, out _),
            key.Description!,
            parsed.SignatureAlgorithmOid,
            parsed.Extensions));
    }

    /// <summary>
    /// simpleenroll (RFC 7030 4.2.1): the device id comes from authentication, never from the request. A request
    /// may leave the subject empty, but any CN it names must be that device id, and any SAN it asks for must be
    /// only that device's URI, so a device cannot even ask for another identity.
    /// </summary>
    public static PkiResult<VerifiedCertificateRequest> ValidateForEnrollment(ReadOnlySpan<byte> der, string deviceId)
    {
        DeviceIdentityName.RequireValid(deviceId);
        var result = Validate(der);
        if (!result.IsSuccess)
        {
            return result;
        }

        var request = result.Value;
        foreach (var rdn in request.Subject.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == "2.5.4.3" && rdn.GetSingleElementValue() != deviceId)
            {
                return Fail(PkiErrorCodes.SubjectMismatch, "csr.subject", $"The request's subject CN '{rdn.GetSingleElementValue()}' is not the authenticated device id '{deviceId}'.");
            }
        }

        var san = request.RequestedSubjectAlternativeName;
        if (san is not null)
        {
            var expectedUri = DeviceIdentityName.ToUri(deviceId);
            var names = SubjectAltNames.EncodedNames(san.RawData);
            var uris = SubjectAltNames.Uris(san.RawData).ToList();
            if (names.Count != 1 || uris.Count != 1 || uris[0] != expectedUri)
            {
                return Fail(PkiErrorCodes.SubjectAltNameMismatch, "csr.subjectAltName", $"The request may ask only for the subject alternative name URI:{expectedUri}.");
            }
        }

        return result;
    }

    /// <summary>
    /// simplereenroll, RFC 7030 4.2.2: "the Subject field and SubjectAltName extension MUST be identical to the
    /// corresponding fields in the certificate being renewed or rekeyed". ChangeSubjectName is not supported.
    /// </summary>
    public static PkiResult<VerifiedCertificateRequest> ValidateForReenrollment(ReadOnlySpan<byte> der, X509Certificate2 currentCertificate)
    {
        ArgumentNullException.ThrowIfNull(currentCertificate);
        var result = Validate(der);
        if (!result.IsSuccess)
        {
            return result;
        }

        var request = result.Value;
        if (!NamesEqual(request.Subject, currentCertificate.SubjectName))
        {
            return Fail(PkiErrorCodes.SubjectMismatch, "csr.subject", $"Re-enrollment must keep the subject '{currentCertificate.Subject}'; the request asks for '{request.Subject.Name}'.");
        }

        var current = currentCertificate.Extensions[SubjectAltNameOid];
        var requested = request.RequestedSubjectAlternativeName;
        if (current is null != requested is null
            || (current is not null && requested is not null && !GeneralNamesEqual(current.RawData, requested.RawData)))
        {
            return Fail(PkiErrorCodes.SubjectAltNameMismatch, "csr.subjectAltName", "Re-enrollment must request exactly the subject alternative names of the current certificate.");
        }

        return result;
    }

    private static PkiResult<VerifiedCertificateRequest> Fail(string code, string field, string message) =>
        PkiResult<VerifiedCertificateRequest>.Failure(code, field, message);

    /// <summary>
    /// RFC 5280 7.1 compares names attribute by attribute, not by encoding (a UTF8String and a PrintableString
    /// holding the same text are the same name); values here must match exactly, which is stricter than caseIgnoreMatch.
    /// </summary>
    private static bool NamesEqual(X500DistinguishedName a, X500DistinguishedName b)
    {
        var left = a.EnumerateRelativeDistinguishedNames().ToList();
        var right = b.EnumerateRelativeDistinguishedNames().ToList();
        if (left.Count != right.Count)
        {
            return false;
        }

        for (var i = 0; i < left.Count; i++)
        {
            if (left[i].HasMultipleElements || right[i].HasMultipleElements)
            {
                if (!left[i].RawData.Span.SequenceEqual(right[i].RawData.Span))
                {
                    return false;
                }
            }
            else if (left[i].GetSingleElementType().Value != right[i].GetSingleElementType().Value
                || left[i].GetSingleElementValue() != right[i].GetSingleElementValue())
            {
                return false;
            }
        }

        return true;
    }

    private static bool GeneralNamesEqual(byte[] a, byte[] b)
    {
        var left = SubjectAltNames.EncodedNames(a);
        var right = SubjectAltNames.EncodedNames(b);
        return left.Count == right.Count && left.Zip(right).All(p => p.First.AsSpan().SequenceEqual(p.Second));
    }

    private static KeyCheck CheckKeyPolicy(ParsedRequest parsed)
    {
        switch (parsed.KeyAlgorithmOid)
        {
            case EcPublicKeyOid:
                var curve = parsed.KeyAlgorithmParameterOid;
                if (curve is P192Oid or P224Oid)
                {
                    return KeyCheck.Refuse(PkiErrorCodes.KeyTooWeak, "csr.subjectPublicKeyInfo", $"Elliptic curve {CurveName(curve)} is too weak; use P-256 or P-384.");
                }

                if (curve is not (P256Oid or P384Oid))
                {
                    return KeyCheck.Refuse(PkiErrorCodes.CurveUnsupported, "csr.subjectPublicKeyInfo", $"Elliptic curve {CurveName(curve)} is not accepted; use P-256 or P-384.");
                }

                var ec = ECDsa.Create();
                try
                {
                    ec.ImportSubjectPublicKeyInfo(parsed.SubjectPublicKeyInfo, out _);
                }
                catch (CryptographicException)
                {
                    ec.Dispose();
                    return KeyCheck.Refuse(PkiErrorCodes.KeyInvalid, "csr.subjectPublicKeyInfo", "The EC public key is not a valid point on its curve.");
                }

                return KeyCheck.Accept(ec, curve == P256Oid ? "ECDSA P-256" : "ECDSA P-384");

            case RsaEncryptionOid:
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportSubjectPublicKeyInfo(parsed.SubjectPublicKeyInfo, out _);
                }
                catch (CryptographicException)
                {
                    rsa.Dispose();
                    return KeyCheck.Refuse(PkiErrorCodes.KeyInvalid, "csr.subjectPublicKeyInfo", "The RSA public key cannot be decoded.");
                }

                if (rsa.KeySize < MinRsaKeyBits)
                {
                    var bits = rsa.KeySize;
                    rsa.Dispose();
                    return KeyCheck.Refuse(PkiErrorCodes.KeyTooWeak, "csr.subjectPublicKeyInfo", $"RSA {bits} is too weak; at least {MinRsaKeyBits} bits are required.");
                }

                if (rsa.KeySize > MaxRsaKeyBits)
                {
                    var bits = rsa.KeySize;
                    rsa.Dispose();
                    return KeyCheck.Refuse(PkiErrorCodes.KeyTooLarge, "csr.subjectPublicKeyInfo", $"RSA {bits} exceeds the {MaxRsaKeyBits}-bit limit.");
                }

                return KeyCheck.Accept(rsa, $"RSA {rsa.KeySize}");

            default:
                return KeyCheck.Refuse(PkiErrorCodes.KeyAlgorithmUnsupported, "csr.subjectPublicKeyInfo", $"Key algorithm {parsed.KeyAlgorithmOid} is not accepted; use ECDSA P-256/P-384 or RSA >= {MinRsaKeyBits}.");
        }
    }

    private static PkiError? VerifySignature(ParsedRequest parsed, AsymmetricAlgorithm key)
    {
        if (WeakSignatureAlgorithms.TryGetValue(parsed.SignatureAlgorithmOid, out var weak))
        {
            return new PkiError(PkiErrorCodes.SignatureAlgorithmUnsupported, "csr.signatureAlgorithm", $"{weak} is not accepted; sign with SHA-256 or stronger.");
        }

        if (!SignatureAlgorithms.TryGetValue(parsed.SignatureAlgorithmOid, out var algorithm))
        {
            return new PkiError(PkiErrorCodes.SignatureAlgorithmUnsupported, "csr.signatureAlgorithm", $"Signature algorithm {parsed.SignatureAlgorithmOid} is not accepted; use ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512.");
        }

        if (algorithm.KeyAlgorithm != parsed.KeyAlgorithmOid)
        {
            return new PkiError(PkiErrorCodes.SignatureAlgorithmUnsupported, "csr.signatureAlgorithm", $"Signature algorithm {parsed.SignatureAlgorithmOid} does not fit the request's key algorithm {parsed.KeyAlgorithmOid}.");
        }

        // RFC 5758 3.2: ECDSA AlgorithmIdentifiers omit parameters; RFC 4055 5: RSA ones carry NULL (absent tolerated).
        var parametersOk = algorithm.KeyAlgorithm == EcPublicKeyOid
            ? parsed.SignatureParameters is null
            : parsed.SignatureParameters is null || parsed.SignatureParameters.AsSpan().SequenceEqual(new byte[] { 0x05, 0x00 });
        if (!parametersOk)
        {
            return new PkiError(PkiErrorCodes.SignatureAlgorithmUnsupported, "csr.signatureAlgorithm", "The signature algorithm carries unexpected parameters.");
        }

        bool valid;
        try
        {
            valid = key switch
            {
                ECDsa ec => ec.VerifyData(parsed.CertificationRequestInfo, parsed.Signature, algorithm.Hash, DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.VerifyData(parsed.CertificationRequestInfo, parsed.Signature, algorithm.Hash, RSASignaturePadding.Pkcs1),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            valid = false;
        }

        return valid
            ? null
            : new PkiError(PkiErrorCodes.SignatureInvalid, "csr.signature", "The request's signature does not verify with its own public key, so it proves no possession of the private key (RFC 7030 3.4).");
    }

    private static string CurveName(string? oid) => oid switch
    {
        P192Oid => "P-192 (secp192r1)",
        P224Oid => "P-224 (secp224r1)",
        "1.3.132.0.35" => "P-521 (secp521r1)",
        "1.3.132.0.10" => "secp256k1",
        null => "(implicit or explicit parameters)",
        _ => oid,
    };

    /// <summary>RFC 2986 4.1 / 4.2, read strictly as DER; trailing bytes anywhere are an error.</summary>
    private static ParsedRequest Parse(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var request = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        var info = request.ReadEncodedValue().ToArray();
        var signatureAlgorithm = request.ReadSequence();
        var signatureOid = signatureAlgorithm.ReadObjectIdentifier();
        byte[]? signatureParameters = signatureAlgorithm.HasData ? signatureAlgorithm.ReadEncodedValue().ToArray() : null;
        signatureAlgorithm.ThrowIfNotEmpty();
        var signature = request.ReadBitString(out var unusedBits);
        if (unusedBits != 0)
        {
            throw new AsnContentException("The signature BIT STRING has unused bits.");
        }

        request.ThrowIfNotEmpty();

        var infoReader = new AsnReader(info, AsnEncodingRules.DER).ReadSequence();
        if (!infoReader.TryReadInt32(out var version))
        {
            throw new AsnContentException("The version is not a small INTEGER.");
        }

        var subject = new X500DistinguishedName(infoReader.ReadEncodedValue().Span);
        // Decode every RDN now so a malformed Name is a DER error here, not an exception during identity checks.
        _ = subject.EnumerateRelativeDistinguishedNames().Count();
        var spki = infoReader.ReadEncodedValue().ToArray();
        var spkiReader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        var algorithm = spkiReader.ReadSequence();
        var keyOid = algorithm.ReadObjectIdentifier();
        string? keyParameterOid = algorithm.HasData && algorithm.PeekTag() == Asn1Tag.ObjectIdentifier ? algorithm.ReadObjectIdentifier() : null;

        var extensions = new List<X509Extension>();
        // RFC 2986 4.1: attributes [0] IMPLICIT SET OF Attribute; tolerated when absent.
        if (infoReader.HasData)
        {
            var attributes = infoReader.ReadSetOf(new Asn1Tag(TagClass.ContextSpecific, 0));
            while (attributes.HasData)
            {
                var attribute = attributes.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                attribute.ThrowIfNotEmpty();
                if (type != ExtensionRequestOid)
                {
                    continue;
                }

                var requested = values.ReadSequence();
                values.ThrowIfNotEmpty();
                while (requested.HasData)
                {
                    var extension = requested.ReadSequence();
                    var extensionOid = extension.ReadObjectIdentifier();
                    var critical = extension.PeekTag() == Asn1Tag.Boolean && extension.ReadBoolean();
                    var value = extension.ReadOctetString();
                    extension.ThrowIfNotEmpty();
                    // RFC 5280 4.2: an extension appears at most once.
                    if (extensions.Any(e => e.Oid?.Value == extensionOid))
                    {
                        throw new AsnContentException($"Extension {extensionOid} is requested twice.");
                    }

                    extensions.Add(extensionOid == SubjectAltNameOid
                        ? new X509SubjectAlternativeNameExtension(value, critical)
                        : new X509Extension(extensionOid, value, critical));
                }
            }
        }

        infoReader.ThrowIfNotEmpty();
        if (extensions.FirstOrDefault(e => e.Oid?.Value == SubjectAltNameOid) is { } san)
        {
            // Reject a SAN that does not parse now, so later comparisons cannot throw.
            _ = SubjectAltNames.EncodedNames(san.RawData);
        }

        return new ParsedRequest(info, version, subject, spki, keyOid, keyParameterOid, extensions, signatureOid, signatureParameters, signature);
    }

    private sealed record ParsedRequest(
        byte[] CertificationRequestInfo,
        int Version,
        X500DistinguishedName Subject,
        byte[] SubjectPublicKeyInfo,
        string KeyAlgorithmOid,
        string? KeyAlgorithmParameterOid,
        IReadOnlyList<X509Extension> Extensions,
        string SignatureAlgorithmOid,
        byte[]? SignatureParameters,
        byte[] Signature);

    private sealed record KeyCheck(AsymmetricAlgorithm? Verifier, string? Description, PkiError? Error)
    {
        public static KeyCheck Accept(AsymmetricAlgorithm verifier, string description) => new(verifier, description, null);

        public static KeyCheck Refuse(string code, string field, string message) => new(null, null, new PkiError(code, field, message));
    }
}
