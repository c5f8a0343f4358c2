using System.Security.Cryptography;
using Fleetward.Agent.Slots;

namespace Fleetward.Agent.Tests.Slots;

/// <summary>Deterministic test images and the health checks used by the installer tests.</summary>
public static class Images
{
    public static byte[] Make(string label, int length)
    {
        var bytes = new byte[length];
        var seed = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label));
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed[i % seed.Length] ^ (i * 31));
        }
        return bytes;
    }

    public static VerifiedImage Verified(string releaseId, byte[] content) =>
        new(releaseId, new MemoryStream(content), content.Length, SHA256.HashData(content));

    public static IHealthCheck Health(bool serverReachable) =>
        new AgentHealthCheck(_ => Task.FromResult(serverReachable), [], TimeSpan.FromSeconds(5));

    /// <summary>True when <paramref name="slot"/> holds exactly one of <paramref name="images"/>.</summary>
    public static bool HoldsOneOf(SlotDevices slots, Slot slot, params byte[][] images) =>
        images.Any(image => slots.Sha256Of(slot, image.Length) is { } hash && hash.AsSpan().SequenceEqual(SHA256.HashData(image)));
}
