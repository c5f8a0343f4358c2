using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

/// <summary>A throw-away root and issuing CA generated per test class; nothing is stored.</summary>
internal sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    public static readonly Uri CrlUrl = new("https://fleet.example.test/pki/crl");

    public TestPki()
    {
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        IssuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Root = CertificateAuthorityHierarchy.CreateRoot(RootKey, new X500DistinguishedName("CN=Test Root CA, O=Fleetward Tests"), Now.AddDays(-1));
        Issuing = CertificateAuthorityHierarchy.CreateIssuing(
            Root, RootKey, new PublicKey(IssuingKey), new X500DistinguishedName("CN=Test Issuing CA, O=Fleetward Tests"), Now.AddDays(-1), TimeSpan.FromDays(365));
        Authority = new DeviceCertificateAuthority(Issuing, IssuingKey, CrlUrl);
    }

    public ECDsa RootKey { get; }

    public ECDsa IssuingKey { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Issuing { get; }

    public DeviceCertificateAuthority Authority { get; }

    public static byte[] CreateCsr(AsymmetricAlgorithm key, string subject, HashAlgorithmName? hash = null, params string[] sanUris)
    {
        var name = new X500DistinguishedName(subject);
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(name, ec, hash ?? HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(name, rsa, hash ?? HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("unsupported", nameof(key)),
        };
        if (sanUris.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var uri in sanUris)
            {
                san.AddUri(new Uri(uri));
            }

            request.CertificateExtensions.Add(san.Build());
        }

        return request.CreateSigningRequest();
    }

    public VerifiedCertificateRequest VerifiedCsr(string deviceId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = CertificateRequestValidator.ValidateForEnrollment(CreateCsr(key, "CN=" + deviceId), deviceId);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    /// <summary>Builds the chain to <see cref="Root"/> as the only trust anchor, revocation off (CRLs are tested apart).</summary>
    public X509ChainStatusFlags ChainStatus(X509Certificate2 leaf, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.ExtraStore.Add(Issuing);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.Build(leaf);
        return chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (acc, s) => acc | s.Status);
    }

    public void Dispose()
    {
        RootKey.Dispose();
        IssuingKey.Dispose();
        Root.Dispose();
        Issuing.Dispose();
    }
}
