using System.Security.Cryptography;
using Fleetward.Trust.Pki;

namespace Fleetward.Trust.Tests.Pki;

/// <summary>
/// Whatever bytes a device sends, the parsers answer with a result and never throw: seeded mutations (bit flips,
/// truncations, inserted bytes) of valid messages.
/// </summary>
public sealed class MalformedInputTests
{
    private static IEnumerable<byte[]> Mutations(byte[] valid, int seed, int count)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var bytes = valid.ToArray();
            switch (random.Next(3))
            {
                case 0:
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    yield return bytes;
                    break;
                case 1:
                    yield return bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
                    break;
                default:
                    var at = random.Next(bytes.Length);
                    yield return [.. bytes.AsSpan(0, at), (byte)random.Next(256), .. bytes.AsSpan(at)];
                    break;
            }
        }
    }

    [Fact]
    public void Mutated_certificate_requests_are_refused_or_accepted_but_never_throw()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = DeviceCertificateRequest.Create(key, "robot-7");
        var refused = 0;
        foreach (var mutated in Mutations(csr, seed: 7, count: 600))
        {
            var result = CertificateRequestValidator.ValidateForEnrollment(mutated, "robot-7");
            refused += result.IsSuccess ? 0 : 1;
        }

        Assert.True(refused > 550, $"only {refused} of 600 mutations were refused");
    }

    [Fact]
    public void Mutated_certs_only_messages_never_throw()
    {
        using var pki = new TestPki();
        var message = EstWireFormat.EncodeCertsOnly([pki.Issuing, pki.Root]);
        foreach (var mutated in Mutations(message, seed: 11, count: 300))
        {
            _ = EstWireFormat.DecodeCertsOnly(mutated);
        }
    }

    [Fact]
    public void Mutated_csr_attributes_never_throw()
    {
        var message = EstWireFormat.EncodeCsrAttributes(EstWireFormat.DefaultCsrAttributes);
        foreach (var mutated in Mutations(message, seed: 13, count: 300))
        {
            _ = EstWireFormat.DecodeCsrAttributes(mutated);
        }
    }
}
