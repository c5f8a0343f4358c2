using System.Formats.Asn1;
using System.Security.Cryptography;
using Fleetward.Trust.Keys;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Keys;

public sealed class EncryptedKeyFileTests
{
    // The minimum keeps the suite fast; one test covers the default count.
    private const int Iterations = EncryptedKeyFile.MinimumIterations;

    [Fact]
    public void Ec_key_round_trips()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = EncryptedKeyFile.Protect(key, "correct horse", Iterations);
        var opened = EncryptedKeyFile.Open(pem, "correct horse");
        Assert.True(opened.IsSuccess, opened.Error?.ToString());
        using var ec = Assert.IsAssignableFrom<ECDsa>(opened.Value);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), ec.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Rsa_key_round_trips()
    {
        using var key = RSA.Create(2048);
        var pem = EncryptedKeyFile.Protect(key, "correct horse", Iterations);
        using var rsa = Assert.IsAssignableFrom<RSA>(EncryptedKeyFile.Open(pem, "correct horse").Value);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), rsa.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void File_is_pem_encrypted_pkcs8_without_the_key_in_clear()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = EncryptedKeyFile.Protect(key, "pw", Iterations);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem);
        var d = key.ExportParameters(true).D!;
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----"))));
        Assert.Equal(-1, der.AsSpan().IndexOf(d));
    }

    [Fact]
    public void Default_protection_uses_the_default_iteration_count()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = EncryptedKeyFile.Protect(key, "pw");
        Assert.Equal(EncryptedKeyFile.DefaultIterations, IterationCount(pem));
    }

    [Fact]
    public void Wrong_passphrase_is_reported_as_such()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = EncryptedKeyFile.Protect(key, "right", Iterations);
        var error = EncryptedKeyFile.Open(pem, "wrong").Error!;
        Assert.Equal(PkiErrorCodes.KeyPassphraseWrong, error.Code);
        Assert.Equal("passphrase", error.Field);
    }

    [Fact]
    public void Unencrypted_pkcs8_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = EncryptedKeyFile.Open(key.ExportPkcs8PrivateKeyPem(), "pw").Error!;
        Assert.Equal(PkiErrorCodes.KeyFormatInvalid, error.Code);
    }

    [Fact]
    public void Weak_scheme_is_refused_by_name_before_decryption()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var weak = new PbeParameters(PbeEncryptionAlgorithm.TripleDes3KeyPkcs12, HashAlgorithmName.SHA1, 2048);
        var pem = new string(PemEncoding.Write("ENCRYPTED PRIVATE KEY", key.ExportEncryptedPkcs8PrivateKey("pw", weak)));
        var error = EncryptedKeyFile.Open(pem, "pw").Error!;
        Assert.Equal(PkiErrorCodes.KeyEncryptionUnsupported, error.Code);
    }

    [Fact]
    public void Too_few_iterations_are_refused_on_read()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var few = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000);
        var pem = new string(PemEncoding.Write("ENCRYPTED PRIVATE KEY", key.ExportEncryptedPkcs8PrivateKey("pw", few)));
        Assert.Equal(PkiErrorCodes.KeyEncryptionUnsupported, EncryptedKeyFile.Open(pem, "pw").Error!.Code);
    }

    [Fact]
    public void Sha1_prf_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var sha1 = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA1, Iterations);
        var pem = new string(PemEncoding.Write("ENCRYPTED PRIVATE KEY", key.ExportEncryptedPkcs8PrivateKey("pw", sha1)));
        Assert.Contains("HMAC-SHA256", EncryptedKeyFile.Open(pem, "pw").Error!.Message);
    }

    [Fact]
    public void Too_few_iterations_are_refused_on_write()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentOutOfRangeException>(() => EncryptedKeyFile.Protect(key, "pw", 1000));
    }

    [Fact]
    public void Empty_passphrase_is_refused_on_write()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => EncryptedKeyFile.Protect(key, "  ", Iterations));
    }

    [Fact]
    public void Garbage_is_not_a_key_file()
    {
        Assert.Equal(PkiErrorCodes.KeyFormatInvalid, EncryptedKeyFile.Open("hello", "pw").Error!.Code);
        Assert.Equal(PkiErrorCodes.KeyFormatInvalid, EncryptedKeyFile.Open("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----", "pw").Error!.Code);
    }

    private static int IterationCount(string pem)
    {
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----"))));
        var pbes2 = new AsnReader(der, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        pbes2.ReadObjectIdentifier();
        var kdf = pbes2.ReadSequence().ReadSequence();
        kdf.ReadObjectIdentifier();
        var parameters = kdf.ReadSequence();
        parameters.ReadOctetString();
        return (int)parameters.ReadInteger();
    }
}
