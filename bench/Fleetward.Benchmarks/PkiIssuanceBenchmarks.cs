using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Fleetward.Trust.Pki;

namespace Fleetward.Benchmarks;

/// <summary>
/// The EST issuance core without I/O: verify a P-256 CSR (parse, key policy, proof of possession) and build and
/// sign a device certificate with a P-256 issuing key. The baseline is one raw ECDSA P-256 sign plus one verify,
/// which is the cryptographic floor of the same work: the ratio shows what parsing and encoding add.
/// Storing the certificate is measured with the server's EST benchmark once storage lands.
/// </summary>
[MemoryDiagnoser]
public class PkiIssuanceBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly byte[] _data = new byte[256];
    private ECDsa _rootKey = null!;
    private ECDsa _issuingKey = null!;
    private ECDsa _deviceKey = null!;
    private DeviceCertificateAuthority _authority = null!;
    private byte[] _csr = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        _issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = CertificateAuthorityHierarchy.CreateRoot(_rootKey, new X500DistinguishedName("CN=Bench Root"), Now.AddDays(-1));
        var issuing = CertificateAuthorityHierarchy.CreateIssuing(root, _rootKey, new PublicKey(_issuingKey), new X500DistinguishedName("CN=Bench Issuing"), Now.AddDays(-1));
        _authority = new DeviceCertificateAuthority(issuing, _issuingKey, new Uri("https://fleet.example/pki/crl"));
        _csr = new CertificateRequest("CN=robot-1", _deviceKey, HashAlgorithmName.SHA256).CreateSigningRequest();
        RandomNumberGenerator.Fill(_data);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rootKey.Dispose();
        _issuingKey.Dispose();
        _deviceKey.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw ECDSA P-256 sign + verify")]
    public bool RawSignAndVerify()
    {
        var signature = _issuingKey.SignData(_data, HashAlgorithmName.SHA256);
        return _issuingKey.VerifyData(_data, signature, HashAlgorithmName.SHA256);
    }

    [Benchmark(Description = "CSR verify + certificate build + sign")]
    public int IssueFromCsr()
    {
        var request = CertificateRequestValidator.ValidateForEnrollment(_csr, "robot-1");
        using var certificate = _authority.Issue(request.Value!, "robot-1", Now).Certificate;
        return certificate.RawData.Length;
    }

    [Benchmark(Description = "CSR verify only")]
    public bool VerifyCsr() => CertificateRequestValidator.ValidateForEnrollment(_csr, "robot-1").IsSuccess;
}
