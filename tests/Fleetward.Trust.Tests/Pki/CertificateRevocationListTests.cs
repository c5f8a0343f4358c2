using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

public sealed class CertificateRevocationListTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Crl_lists_revoked_serials_with_its_number()
    {
        var revoked = new[]
        {
            new RevokedCertificate(Convert.FromHexString("1A2B3C"), TestPki.Now.AddHours(-1), X509RevocationReason.KeyCompromise),
            new RevokedCertificate(Convert.FromHexString("7F00000000000000000000000000AA01"), TestPki.Now.AddMinutes(-5), X509RevocationReason.CessationOfOperation),
        };
        var crl = _pki.Authority.BuildRevocationList(revoked, new BigInteger(42), TestPki.Now, TimeSpan.FromHours(1));

        var loaded = CertificateRevocationListBuilder.Load(crl, out var number);
        Assert.Equal(new BigInteger(42), number);
        Assert.Contains("1A2B3C", Convert.ToHexString(crl));
        Assert.Contains("7F00000000000000000000000000AA01", Convert.ToHexString(crl));
        Assert.True(loaded.RemoveEntry(Convert.FromHexString("1A2B3C")));
        Assert.True(loaded.RemoveEntry(Convert.FromHexString("7F00000000000000000000000000AA01")));
    }

    [Fact]
    public void Crl_is_signed_by_the_issuing_ca()
    {
        var crl = _pki.Authority.BuildRevocationList([], BigInteger.One, TestPki.Now, TimeSpan.FromHours(1));
        var (tbs, signature, issuer, thisUpdate, nextUpdate) = ReadCrl(crl);
        using var publicKey = _pki.Issuing.GetECDsaPublicKey()!;
        Assert.True(publicKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(_pki.Issuing.SubjectName.RawData, issuer);
        Assert.Equal(TestPki.Now, thisUpdate);
        Assert.Equal(TestPki.Now.AddHours(1), nextUpdate);
    }

    [Fact]
    public void Negative_or_oversized_crl_numbers_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _pki.Authority.BuildRevocationList([], BigInteger.MinusOne, TestPki.Now, TimeSpan.FromHours(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _pki.Authority.BuildRevocationList([], BigInteger.Pow(2, 160), TestPki.Now, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Validity_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _pki.Authority.BuildRevocationList([], BigInteger.One, TestPki.Now, TimeSpan.Zero));
    }

    [Fact]
    public void Empty_serial_is_refused()
    {
        Assert.Throws<ArgumentException>(() => _pki.Authority.BuildRevocationList(
            [new RevokedCertificate([], TestPki.Now, X509RevocationReason.Superseded)], BigInteger.One, TestPki.Now, TimeSpan.FromHours(1)));
    }

    /// <summary>RFC 5280 5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.</summary>
    private static (byte[] Tbs, byte[] Signature, byte[] Issuer, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate) ReadCrl(byte[] crl)
    {
        var list = new AsnReader(crl, AsnEncodingRules.DER).ReadSequence();
        var tbs = list.ReadEncodedValue().ToArray();
        list.ReadSequence();
        var signature = list.ReadBitString(out _);
        var tbsReader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        tbsReader.ReadInteger();
        tbsReader.ReadSequence();
        var issuer = tbsReader.ReadEncodedValue().ToArray();
        var thisUpdate = tbsReader.ReadUtcTime();
        var nextUpdate = tbsReader.ReadUtcTime();
        return (tbs, signature, issuer, thisUpdate, nextUpdate);
    }
}
