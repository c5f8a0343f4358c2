namespace Fleetward.Simulator.Behaviour;

/// <summary>
/// Counter-based randomness: every draw is a hash of (seed, device, instant, channel), so any reading of any robot can
/// be regenerated without replaying the ones before it, and two fleets with the same seed behave identically.
/// SplitMix64 finaliser (Steele, Lea, Flood 2014) as the mixing function.
/// </summary>
public readonly record struct SimulationNoise(ulong Seed)
{
    /// <summary>Uniform in [0, 1).</summary>
    public double Uniform(long device, long instant, int channel) =>
        (Mix(Key(device, instant, channel)) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller over two independent uniforms).</summary>
    public double Gaussian(long device, long instant, int channel)
    {
        var u1 = Uniform(device, instant, channel * 2 + 1);
        var u2 = Uniform(device, instant, channel * 2 + 2);
        return Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A multiplicative factor around 1 with relative spread <paramref name="sigma"/>, never below 0.05.</summary>
    public double Factor(long device, long instant, int channel, double sigma) =>
        Math.Max(0.05, 1 + sigma * Gaussian(device, instant, channel));

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public int Between(long device, long instant, int channel, int min, int max) =>
        min + (int)(Uniform(device, instant, channel) * (max - min));

    private ulong Key(long device, long instant, int channel) =>
        Mix(Mix(Mix(Seed ^ 0x5EED_F1EE_7A4DUL) ^ (ulong)device) ^ (ulong)instant) ^ (ulong)(uint)channel;

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
