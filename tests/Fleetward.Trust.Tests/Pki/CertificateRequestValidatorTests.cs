using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class CertificateRequestValidatorTests
{
    private const string DeviceUri = "urn:fleetward:device:robot-7";

    private static PkiError Refusal(PkiResult<VerifiedCertificateRequest> result)
    {
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    [Fact]
    public void Ec_p256_request_is_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7"));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("ECDSA P-256", result.Value.KeyDescription);
        Assert.Equal("CN=robot-7", result.Value.Subject.Name);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), result.Value.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Ec_p384_request_signed_with_sha384_is_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var result = CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7", HashAlgorithmName.SHA384));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("ECDSA P-384", result.Value.KeyDescription);
    }

    [Fact]
    public void Rsa_2048_request_is_accepted()
    {
        using var key = RSA.Create(2048);
        var result = CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7"));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("RSA 2048", result.Value.KeyDescription);
    }

    [Fact]
    public void Rsa_1024_is_refused_as_too_weak()
    {
        using var key = RSA.Create(1024);
        var error = Refusal(CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7")));
        Assert.Equal(PkiErrorCodes.KeyTooWeak, error.Code);
        Assert.Equal("csr.subjectPublicKeyInfo", error.Field);
        Assert.Contains("RSA 1024", error.Message);
    }

    [Fact]
    public void P192_is_refused_as_too_weak()
    {
        using var key = ECDsa.Create(ECCurve.CreateFromValue("1.2.840.10045.3.1.1"));
        var error = Refusal(CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7")));
        Assert.Equal(PkiErrorCodes.KeyTooWeak, error.Code);
        Assert.Contains("P-192", error.Message);
    }

    [Fact]
    public void P521_is_refused_as_unsupported()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        var error = Refusal(CertificateRequestValidator.Validate(TestPki.CreateCsr(key, "CN=robot-7", HashAlgorithmName.SHA512)));
        Assert.Equal(PkiErrorCodes.CurveUnsupported, error.Code);
    }

    [Fact]
    public void Sha1_signature_is_refused()
    {
        using var key = RSA.Create(2048);
        var csr = TestPki.CreateCsr(key, "CN=robot-7");
        var sha1Signature = key.SignData(CertificationRequestInfo(csr), HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        var error = Refusal(CertificateRequestValidator.Validate(ReplaceSignature(csr, sha1Signature, "1.2.840.113549.1.1.5")));
        Assert.Equal(PkiErrorCodes.SignatureAlgorithmUnsupported, error.Code);
        Assert.Equal("csr.signatureAlgorithm", error.Field);
    }

    [Fact]
    public void Altered_subject_breaks_proof_of_possession()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(key, "CN=robot-7");
        var at = IndexOf(csr, "robot-7"u8.ToArray());
        csr[at] = (byte)'R';
        var error = Refusal(CertificateRequestValidator.Validate(csr));
        Assert.Equal(PkiErrorCodes.SignatureInvalid, error.Code);
        Assert.Equal("csr.signature", error.Field);
    }

    [Fact]
    public void Request_signed_by_another_key_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(key, "CN=robot-7");
        var forged = ReplaceSignature(csr, other.SignData(CertificationRequestInfo(csr), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(PkiErrorCodes.SignatureInvalid, Refusal(CertificateRequestValidator.Validate(forged)).Code);
    }

    [Fact]
    public void Garbage_der_is_refused()
    {
        var error = Refusal(CertificateRequestValidator.Validate("not a certificate request"u8));
        Assert.Equal(PkiErrorCodes.DerInvalid, error.Code);
        Assert.Equal("csr", error.Field);
    }

    [Fact]
    public void Empty_request_is_refused()
    {
        Assert.Equal(PkiErrorCodes.DerInvalid, Refusal(CertificateRequestValidator.Validate(ReadOnlySpan<byte>.Empty)).Code);
    }

    [Fact]
    public void Trailing_bytes_after_the_request_are_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(key, "CN=robot-7").Concat(new byte[] { 0 }).ToArray();
        Assert.Equal(PkiErrorCodes.DerInvalid, Refusal(CertificateRequestValidator.Validate(csr)).Code);
    }

    [Fact]
    public void Truncated_request_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(key, "CN=robot-7");
        Assert.Equal(PkiErrorCodes.DerInvalid, Refusal(CertificateRequestValidator.Validate(csr.AsSpan(0, csr.Length - 5))).Code);
    }

    [Fact]
    public void Oversized_request_is_refused_before_parsing()
    {
        var error = Refusal(CertificateRequestValidator.Validate(new byte[CertificateRequestValidator.MaxRequestBytes + 1]));
        Assert.Equal(PkiErrorCodes.BodyTooLarge, error.Code);
    }

    [Fact]
    public void Enrollment_accepts_an_empty_subject()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = CertificateRequestValidator.ValidateForEnrollment(TestPki.CreateCsr(key, ""), "robot-7");
        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Fact]
    public void Enrollment_accepts_the_device_own_san()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = CertificateRequestValidator.ValidateForEnrollment(TestPki.CreateCsr(key, "CN=robot-7", null, DeviceUri), "robot-7");
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.NotNull(result.Value.RequestedSubjectAlternativeName);
    }

    [Fact]
    public void Enrollment_refuses_a_common_name_that_is_not_the_authenticated_device()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Refusal(CertificateRequestValidator.ValidateForEnrollment(TestPki.CreateCsr(key, "CN=robot-8"), "robot-7"));
        Assert.Equal(PkiErrorCodes.SubjectMismatch, error.Code);
        Assert.Equal("csr.subject", error.Field);
    }

    [Fact]
    public void Enrollment_refuses_a_san_naming_another_device()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Refusal(CertificateRequestValidator.ValidateForEnrollment(TestPki.CreateCsr(key, "CN=robot-7", null, "urn:fleetward:device:robot-8"), "robot-7"));
        Assert.Equal(PkiErrorCodes.SubjectAltNameMismatch, error.Code);
        Assert.Equal("csr.subjectAltName", error.Field);
    }

    [Fact]
    public void Enrollment_refuses_extra_san_entries()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(key, "CN=robot-7", null, DeviceUri, "https://evil.example/");
        Assert.Equal(PkiErrorCodes.SubjectAltNameMismatch, Refusal(CertificateRequestValidator.ValidateForEnrollment(csr, "robot-7")).Code);
    }

    [Fact]
    public void Reenrollment_accepts_identical_subject_and_san_with_a_new_key()
    {
        using var pki = new TestPki();
        var current = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = CertificateRequestValidator.ValidateForReenrollment(TestPki.CreateCsr(newKey, "CN=robot-7", null, DeviceUri), current);
        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Fact]
    public void Reenrollment_compares_names_not_string_encodings()
    {
        using var pki = new TestPki();
        var current = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The CA writes the CN as UTF8String; here it is a PrintableString holding the same text.
        var printable = new X500DistinguishedName("CN=robot-7", X500DistinguishedNameFlags.None);
        var request = new CertificateRequest(printable, newKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(DeviceUri));
        request.CertificateExtensions.Add(san.Build());
        Assert.NotEqual(current.SubjectName.RawData, printable.RawData);
        var result = CertificateRequestValidator.ValidateForReenrollment(request.CreateSigningRequest(), current);
        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Fact]
    public void Reenrollment_refuses_a_different_subject()
    {
        using var pki = new TestPki();
        var current = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Refusal(CertificateRequestValidator.ValidateForReenrollment(TestPki.CreateCsr(newKey, "CN=robot-8", null, DeviceUri), current));
        Assert.Equal(PkiErrorCodes.SubjectMismatch, error.Code);
    }

    [Fact]
    public void Reenrollment_refuses_a_request_without_the_san()
    {
        using var pki = new TestPki();
        var current = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = Refusal(CertificateRequestValidator.ValidateForReenrollment(TestPki.CreateCsr(newKey, "CN=robot-7"), current));
        Assert.Equal(PkiErrorCodes.SubjectAltNameMismatch, error.Code);
    }

    [Fact]
    public void Reenrollment_refuses_a_different_san()
    {
        using var pki = new TestPki();
        var current = pki.Authority.Issue(pki.VerifiedCsr("robot-7"), "robot-7", TestPki.Now).Certificate;
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.CreateCsr(newKey, "CN=robot-7", null, "urn:fleetward:device:robot-8");
        Assert.Equal(PkiErrorCodes.SubjectAltNameMismatch, Refusal(CertificateRequestValidator.ValidateForReenrollment(csr, current)).Code);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private static byte[] CertificationRequestInfo(byte[] csr) =>
        new AsnReader(csr, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();

    private static byte[] ReplaceSignature(byte[] csr, byte[] signature, string? rsaAlgorithmOid = null)
    {
        var request = new AsnReader(csr, AsnEncodingRules.DER).ReadSequence();
        var info = request.ReadEncodedValue();
        var algorithm = request.ReadEncodedValue();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(info.Span);
            if (rsaAlgorithmOid is null)
            {
                writer.WriteEncodedValue(algorithm.Span);
            }
            else
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(rsaAlgorithmOid);
                    writer.WriteNull();
                }
            }

            writer.WriteBitString(signature);
        }

        return writer.Encode();
    }
}
