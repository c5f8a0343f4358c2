using System.Text;

namespace Fleetward.Core.Rollouts;

/// <summary>
/// Deterministic cohort assignment: every replica, every run and every language computes the same bucket for a
/// device in a rollout, so a device's ring never changes. Seeding with the rollout id spreads canaries: the
/// same devices are not always first.
/// <para>
/// Definition (language neutral): h = FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over
/// UTF-8(rolloutId) ‖ 0x00 ‖ UTF-8(deviceId); h = MurmurHash3 fmix64(h); bucket = h mod 10000.
/// FNV-1a alone mixes its low bits poorly; fmix64 spreads every input bit over the whole word before the modulo.
/// </para>
/// </summary>
public readonly struct RolloutCohort
{
    private const ulong FnvOffsetBasis = 0xcbf29ce484222325;
    private const ulong FnvPrime = 0x100000001b3;

    private readonly ulong _seed;

    public RolloutCohort(string rolloutId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rolloutId);
        var h = HashUtf8(FnvOffsetBasis, rolloutId);
        _seed = (h ^ 0x00) * FnvPrime;
    }

    /// <summary>The device's bucket in [0, <see cref="RolloutDefinition.BucketCount"/>). Allocates nothing.</summary>
    public int BucketOf(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        return (int)(Mix(HashUtf8(_seed, deviceId)) % RolloutDefinition.BucketCount);
    }

    private static ulong HashUtf8(ulong h, string text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var chars = text.AsSpan();
        var i = 0;
        while (i < chars.Length)
        {
            var c = chars[i];
            if (c < 0x80)
            {
                h = (h ^ c) * FnvPrime;
                i++;
                continue;
            }
            Rune.DecodeFromUtf16(chars[i..], out var rune, out var consumed);
            var written = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < written; b++)
                h = (h ^ utf8[b]) * FnvPrime;
            i += consumed;
        }
        return h;
    }

    // MurmurHash3 fmix64 finalizer.
    private static ulong Mix(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccd;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53;
        k ^= k >> 33;
        return k;
    }
}
