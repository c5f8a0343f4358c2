using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Fleetward.Core.Audit;
using Fleetward.Trust.Merkle;

namespace Fleetward.Benchmarks;

/// <summary>
/// RFC 6962 leaf hashing (0x00 prefix plus SHA-256) against raw SHA-256 of the same bytes as the baseline, for a
/// typical canonical audit leaf and a large one: the prefix copy should cost next to nothing.
/// </summary>
[MemoryDiagnoser]
public class MerkleLeafHashBenchmarks
{
    private readonly byte[] _hash = new byte[MerkleHasher.HashSize];
    private byte[] _leaf = null!;

    [Params("audit-event", "4KiB")]
    public string Leaf { get; set; } = "audit-event";

    [GlobalSetup]
    public void Setup() =>
        _leaf = Leaf == "4KiB"
            ? RandomNumberGenerator.GetBytes(4096)
            : AuditLeafCodec.Encode(new AuditEvent(
                "device.quarantined",
                new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero),
                "operator:alice",
                "device:robot-17",
                """{"playbook":"isolate","reason":"anomalous outbound traffic","score":0.97}"""));

    [Benchmark(Baseline = true)]
    public int RawSha256() => SHA256.HashData(_leaf, _hash);

    [Benchmark]
    public byte[] Rfc6962LeafHash()
    {
        MerkleHasher.HashLeaf(_leaf, _hash);
        return _hash;
    }
}
