using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class EstWireFormatTests
{
    [Fact]
    public void Base64_output_has_no_line_breaks()
    {
        var text = EstWireFormat.EncodeBase64(new byte[500]);
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\r', text);
    }

    [Fact]
    public void Base64_body_round_trips()
    {
        var bytes = RandomNumberGenerator.GetBytes(300);
        var result = EstWireFormat.DecodeBase64Body(EstWireFormat.EncodeBase64(bytes));
        Assert.True(result.IsSuccess);
        Assert.Equal(bytes, result.Value);
    }

    [Fact]
    public void Base64_body_wrapped_at_64_columns_is_accepted()
    {
        var bytes = RandomNumberGenerator.GetBytes(300);
        var wrapped = string.Join("\r\n", Convert.ToBase64String(bytes).Chunk(64).Select(c => new string(c))) + "\n";
        Assert.Equal(bytes, EstWireFormat.DecodeBase64Body(wrapped).Value);
    }

    [Theory]
    [InlineData("MIIB*AAA")]
    [InlineData("MIIB\u0000AAA")]
    public void Characters_outside_the_alphabet_are_refused(string body)
    {
        var error = EstWireFormat.DecodeBase64Body(body).Error!;
        Assert.Equal(PkiErrorCodes.Base64Invalid, error.Code);
        Assert.Equal("body", error.Field);
    }

    [Fact]
    public void Wrong_padding_is_refused()
    {
        Assert.Equal(PkiErrorCodes.Base64Invalid, EstWireFormat.DecodeBase64Body("QUJD=").Error!.Code);
    }

    [Fact]
    public void Pem_is_refused_with_a_hint()
    {
        var error = EstWireFormat.DecodeBase64Body("-----BEGIN CERTIFICATE REQUEST-----\nQUJD\n-----END CERTIFICATE REQUEST-----").Error!;
        Assert.Equal(PkiErrorCodes.Base64Invalid, error.Code);
        Assert.Contains("PEM", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \r\n")]
    [InlineData(null)]
    public void Empty_body_is_refused(string? body)
    {
        Assert.Equal(PkiErrorCodes.Base64Invalid, EstWireFormat.DecodeBase64Body(body).Error!.Code);
    }

    [Fact]
    public void Oversized_body_is_refused()
    {
        Assert.Equal(PkiErrorCodes.BodyTooLarge, EstWireFormat.DecodeBase64Body(new string('A', EstWireFormat.MaxBase64BodyChars + 4)).Error!.Code);
    }

    [Fact]
    public void Certs_only_round_trips_the_chain()
    {
        using var pki = new TestPki();
        var der = EstWireFormat.EncodeCertsOnly([pki.Issuing, pki.Root]);
        var decoded = EstWireFormat.DecodeCertsOnly(der);
        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        Assert.Equal(
            new[] { pki.Issuing.Thumbprint, pki.Root.Thumbprint }.Order(),
            decoded.Value.Select(c => c.Thumbprint).Order());
    }

    [Fact]
    public void Certs_only_is_a_degenerate_signed_data()
    {
        using var pki = new TestPki();
        var der = EstWireFormat.EncodeCertsOnly([pki.Root]);
        // ContentInfo { signedData, [0] { SignedData { version 1, digestAlgorithms {}, { id-data } ...
        var hex = Convert.ToHexString(der);
        Assert.Contains("06092A864886F70D010702", hex);
        Assert.Contains("020101" + "3100" + "300B06092A864886F70D010701", hex);
        Assert.EndsWith("3100", hex);
    }

    [Fact]
    public void Certs_only_needs_a_certificate()
    {
        Assert.Throws<ArgumentException>(() => EstWireFormat.EncodeCertsOnly([]));
    }

    [Fact]
    public void Garbage_is_not_a_certs_only_message()
    {
        Assert.Equal(PkiErrorCodes.DerInvalid, EstWireFormat.DecodeCertsOnly("junk"u8).Error!.Code);
    }

    [Fact]
    public void Default_csr_attributes_ask_for_p256_and_sha256()
    {
        var der = EstWireFormat.EncodeCsrAttributes(EstWireFormat.DefaultCsrAttributes);
        // SEQUENCE { OID ecdsa-with-SHA256, SEQUENCE { OID id-ecPublicKey, SET { OID prime256v1 } } }
        Assert.Equal("3021" + "06082A8648CE3D040302" + "3015" + "06072A8648CE3D0201" + "310A" + "06082A8648CE3D030107", Convert.ToHexString(der));
    }

    [Fact]
    public void Csr_attributes_round_trip()
    {
        var der = EstWireFormat.EncodeCsrAttributes(EstWireFormat.DefaultCsrAttributes);
        var decoded = EstWireFormat.DecodeCsrAttributes(der).Value!;
        Assert.Equal(2, decoded.Count);
        Assert.Equal("1.2.840.10045.4.3.2", decoded[0].Oid);
        Assert.Null(decoded[0].ValueOids);
        Assert.Equal(["1.2.840.10045.3.1.7"], decoded[1].ValueOids!);
    }

    [Fact]
    public void Empty_csr_attributes_are_legal()
    {
        Assert.Equal("3000", Convert.ToHexString(EstWireFormat.EncodeCsrAttributes([])));
        Assert.Empty(EstWireFormat.DecodeCsrAttributes(new byte[] { 0x30, 0x00 }).Value!);
    }
}
