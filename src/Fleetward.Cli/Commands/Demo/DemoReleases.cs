using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>One firmware release of the demo's story: what it is, and the part it plays.</summary>
/// <param name="SecurityVersion">The anti-rollback counter; each release of the story raises it.</param>
public sealed record DemoRelease(string Version, long SecurityVersion, string Role);

/// <summary>A release as the server published it (TUF target), read back through the operator API.</summary>
public sealed record PublishedDemoRelease(DemoRelease Release, ReleaseEndpoints.ReleaseView View)
{
    public string Id => View.Id;
}

/// <summary>
/// The firmware releases of the story and how they are published: each image is built here (a deterministic pseudo-random
/// body behind a readable header, so every version has its own hashes), then published exactly as `fleetward release
/// publish` publishes one; the development server signs at once, which the demo checks by reading the release back.
/// </summary>
public static class DemoReleases
{
    /// <summary>
    /// The one robot model of the demo fleet. A rollout selects one hardware model (so a release never reaches hardware
    /// it was not built for); one model keeps the story to one rollout per release.
    /// </summary>
    public static Fleetward.Simulator.Behaviour.RobotProfile Model => Fleetward.Simulator.Behaviour.RobotProfile.LawnMower;

    /// <summary>The TUF hardware ids every release names, so the robots accept it.</summary>
    public static IReadOnlyList<string> Hardware { get; } = [Model.Model];

    public const int ImageBytes = 64 * 1024;

    /// <summary>What the robots run when they leave the factory; later offered again as the downgrade.</summary>
    public static readonly DemoRelease Factory = new("1.0.0", 1, "factory image");

    /// <summary>A good update, rolled out through the rings.</summary>
    public static readonly DemoRelease Update = new("1.1.0", 2, "update");

    /// <summary>An update that fails the robots' health checks after it boots.</summary>
    public static readonly DemoRelease Faulty = new("1.2.0", 3, "faulty update");

    /// <summary>The image of a release: identical for the same version, different for every other.</summary>
    public static byte[] BuildImage(DemoRelease release)
    {
        var header = Encoding.ASCII.GetBytes($"FLEETWARD-DEMO-FIRMWARE\nhardware: {string.Join(", ", Hardware)}\nversion: {release.Version}\nsecurity-version: {release.SecurityVersion}\n\n");
        var image = new byte[ImageBytes];
        header.CopyTo(image, 0);
        // Counter-mode SHA-256 over the version: a body that does not compress and is the same on every run.
        var seed = Encoding.ASCII.GetBytes("fleetward-demo/" + release.Version);
        Span<byte> block = stackalloc byte[32];
        Span<byte> input = stackalloc byte[seed.Length + sizeof(int)];
        seed.CopyTo(input);
        for (int offset = header.Length, counter = 0; offset < image.Length; offset += block.Length, counter++)
        {
            BitConverter.TryWriteBytes(input[seed.Length..], counter);
            SHA256.HashData(input, block);
            block[..Math.Min(block.Length, image.Length - offset)].CopyTo(image.AsSpan(offset));
        }
        return image;
    }

    /// <summary>Publishes a release the way `fleetward release publish` does and reads it back.</summary>
    /// <exception cref="DemoClaimException">The server did not sign the release.</exception>
    public static async Task<PublishedDemoRelease> PublishAsync(OperatorApiClient client, DemoRelease release, CancellationToken cancellationToken)
    {
        using var image = new MemoryStream(BuildImage(release), writable: false);
        var body = await ReleaseCommand.PublishAsync(client, image, $"robot-firmware-{release.Version}.img", release.Version, release.SecurityVersion,
            Hardware, "stable", null, cancellationToken);
        var published = JsonSerializer.Deserialize<ReleaseEndpoints.ReleaseView>(body, JsonBody.Options)!;
        var view = await client.GetAsync<ReleaseEndpoints.ReleaseView>("api/v1/releases/" + Uri.EscapeDataString(published.Id), cancellationToken);
        DemoClaimException.That(view.State == "signed" && view.Signatures is { Count: > 0 },
            $"release {release.Version} ({view.Id}) is {view.State} with {view.Signatures?.Count ?? 0} signature(s), not signed");
        return new PublishedDemoRelease(release, view);
    }
}
