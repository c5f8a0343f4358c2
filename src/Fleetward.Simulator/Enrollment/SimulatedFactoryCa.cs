using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Simulator.Enrollment;

/// <summary>
/// The factory line of a simulated product: a self-signed CA that gives every robot an IEEE 802.1AR-style initial
/// device identity (IDevID) at "manufacture", the way a real factory does before Fleetward ever sees the device. The
/// server learns the CA only through an enrollment group, so enrollment exercises the real factory-CA path of EST
/// (RFC 7030 4.2.1 with the factory certificate as TLS client certificate). Keys live in memory only.
/// </summary>
public sealed class SimulatedFactoryCa : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private readonly ECDsa _key;

    private SimulatedFactoryCa(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate as the operator API takes it (<c>factoryCaPem</c> of an enrollment group).</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <param name="line">Names the line in the subject, e.g. the robot model.</param>
    public static SimulatedFactoryCa Create(string line, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Simulated factory CA {line}, O=Fleetward simulator", key, HashAlgorithmName.SHA256);
        // RFC 5280 4.2.1.9 and 4.2.1.3: a CA certificate asserts cA and keyCertSign.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        return new SimulatedFactoryCa(key, certificate);
    }

    /// <summary>
    /// The factory line kept in <paramref name="directory"/> (ca.crt and ca.key, PKCS#8 PEM, owner-only), created on first
    /// use, so a rerun of the simulator against the same server and state root presents IDevIDs the server still trusts.
    /// </summary>
    public static SimulatedFactoryCa LoadOrCreate(string directory, string line, DateTimeOffset now)
    {
        var certificatePath = Path.Combine(directory, "ca.crt");
        var keyPath = Path.Combine(directory, "ca.key");
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyPath));
            return new SimulatedFactoryCa(key, X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath)));
        }
        Directory.CreateDirectory(directory);
        var created = Create(line, now);
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath, created._key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, created.CertificatePem);
        return created;
    }

    /// <summary>
    /// Issues a robot's IDevID: its own P-256 key, the device id as the subject serialNumber attribute (what the
    /// server reads as the device id) and as CN, client authentication usage, valid for the robot's service life.
    /// </summary>
    public X509Certificate2 IssueDeviceIdentity(string deviceId, DateTimeOffset now)
    {
        using var deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(deviceId);
        subject.Add("2.5.4.5", deviceId, System.Formats.Asn1.UniversalTagNumber.PrintableString);
        var request = new CertificateRequest(subject.Build(), deviceKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)(serial[0] & 0x7F | 0x01);
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddDays(-1), now.AddYears(15), serial);
        using var withKey = issued.CopyWithPrivateKey(deviceKey);
        // SslStream on Linux presents a client certificate reliably only from a PKCS#12-loaded instance.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}
