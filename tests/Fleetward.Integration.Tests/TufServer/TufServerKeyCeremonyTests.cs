using System.Text;
using System.Text.Json;
using Fleetward.Core.Releases;
using Fleetward.Integration.Tests.Tuf;
using Fleetward.Server.Updates;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Integration.Tests.TufServer;

/// <summary>
/// Key lifecycle through the CLI against the real server: root rotation signed by the old and new root keys keeps
/// both clients working; rotating the targets role to an offline production key revokes the development targets key,
/// and releases are then signed offline (draft, sign, upload) and accepted by production devices; the signing policy
/// refuses signatures outside a key's release window.
/// </summary>
public sealed class TufServerKeyCeremonyTests(TufJsEnvironment tufJs) : IClassFixture<TufJsEnvironment>
{
    private static readonly byte[] Firmware = Encoding.UTF8.GetBytes("robot firmware\n");

    private static string DevelopmentRootKey(TufServerHarness server) => Path.Combine(server.Updates.DevelopmentKeysDirectory, "root.key");

    private static async Task<string> GenerateKeyAsync(TufServerHarness server, string name, string type = "ed25519")
    {
        var path = Path.Combine(server.Root, name + ".key");
        var result = await server.CliAsync(false, "keys", "generate", "--type", type, "--out", path, "--iterations", "100000");
        Assert.True(result.Code == 0, result.Error);
        return path;
    }

    private static async Task RunAsync(TufServerHarness server, bool operatorCall, params string[] args)
    {
        var result = await server.CliAsync(operatorCall, args);
        Assert.True(result.Code == 0, string.Join(" ", args) + ": " + result.Error + result.Output);
    }

    [Fact]
    public async Task Root_rotation_through_the_cli_keeps_both_clients_working()
    {
        await using var server = await TufServerHarness.StartAsync();
        await server.PublishAsync("fw.bin", Firmware, "1.0.0", 1);
        var (updater, http) = server.NewDevice(TimeProvider.System);
        using var _ = http;
        await updater.RefreshAsync();

        var newRoot = await GenerateKeyAsync(server, "new-root", "ecdsa");
        var rootFile = Path.Combine(server.Root, "2.root.json");
        await RunAsync(server, true, "root", "rotate", "--root-key", newRoot + ".pub.json", "--out", rootFile);

        // Signed by the new root key alone, the old root's threshold is missing: the server refuses it as a client would.
        await RunAsync(server, false, "root", "sign", rootFile, "--key", newRoot);
        var refused = await server.CliAsync(true, "root", "upload", rootFile);
        Assert.Equal(1, refused.Code);
        Assert.Contains("root", refused.Error);

        await RunAsync(server, false, "root", "sign", rootFile, "--key", DevelopmentRootKey(server), "--class", "development");
        await RunAsync(server, true, "root", "upload", rootFile);

        await updater.RefreshAsync();
        Assert.Equal(2, updater.Trusted.Root.Signed.Version);
        var target = await updater.FindTargetAsync("stable/1.0.0/fw.bin");
        Assert.Equal(Firmware, await File.ReadAllBytesAsync(await updater.DownloadTargetAsync(target, Path.Combine(server.Root, "agent"))));
        var tufJsResult = server.TufJs(tufJs, "stable/1.0.0/fw.bin");
        Assert.True(tufJsResult.Code == 0, tufJsResult.Error + tufJsResult.Output);
    }

    [Fact]
    public async Task Rotating_targets_to_an_offline_production_key_revokes_the_development_key_and_releases_are_signed_offline()
    {
        await using var server = await TufServerHarness.StartAsync();
        var productionTargets = await GenerateKeyAsync(server, "production-targets");
        var rootFile = Path.Combine(server.Root, "2.root.json");
        await RunAsync(server, true, "root", "rotate", "--targets-key", productionTargets + ".pub.json", "--class", "production", "--out", rootFile);
        await RunAsync(server, false, "root", "sign", rootFile, "--key", DevelopmentRootKey(server), "--class", "development");
        await RunAsync(server, true, "root", "upload", rootFile);

        // The server no longer holds a key for targets: the release waits for the offline signature.
        var published = JsonDocument.Parse(await server.PublishAsync("fw.bin", Firmware, "2.0.0", 5)).RootElement;
        Assert.Equal("pending", published.GetProperty("state").GetString());

        // Targets still signed by the revoked development key are refused under the new root.
        var (device, http) = server.NewDevice(TimeProvider.System, production: true);
        using var _ = http;
        var stale = await Assert.ThrowsAsync<TufTrustException>(() => device.RefreshAsync());
        Assert.Equal(TufTrustFailure.ThresholdNotMet, stale.Reason);

        var draft = Path.Combine(server.Root, "targets-draft.json");
        await RunAsync(server, true, "release", "draft", "--role", "targets", "--out", draft);
        await RunAsync(server, false, "release", "sign", draft, "--key", productionTargets, "--class", "production");
        await RunAsync(server, true, "release", "upload", draft, "--role", "targets");

        var shown = await server.CliAsync(true, "release", "show", published.GetProperty("id").GetString()!, "--json");
        var release = JsonDocument.Parse(shown.Output).RootElement;
        Assert.Equal("signed", release.GetProperty("state").GetString());
        Assert.Single(release.GetProperty("signatures").EnumerateArray());

        await device.RefreshAsync();
        var target = await device.FindTargetAsync("stable/2.0.0/fw.bin");
        Assert.Equal(Firmware, await File.ReadAllBytesAsync(await device.DownloadTargetAsync(target, Path.Combine(server.Root, "agent"))));
        var tufJsResult = server.TufJs(tufJs, "stable/2.0.0/fw.bin");
        Assert.True(tufJsResult.Code == 0, tufJsResult.Error + tufJsResult.Output);
    }

    [Fact]
    public async Task In_production_the_security_channel_gets_its_own_offline_key_and_ships_a_patch_production_devices_accept()
    {
        await using var server = await TufServerHarness.StartAsync();
        var productionTargets = await GenerateKeyAsync(server, "production-targets");
        var productionSecurity = await GenerateKeyAsync(server, "production-security", "ecdsa");
        var rootFile = Path.Combine(server.Root, "2.root.json");
        await RunAsync(server, true, "root", "rotate", "--targets-key", productionTargets + ".pub.json", "--out", rootFile);
        await RunAsync(server, false, "root", "sign", rootFile, "--key", DevelopmentRootKey(server));
        await RunAsync(server, true, "root", "upload", rootFile);

        // The targets signers delegate the security channel to the security team's key, offline.
        var targetsDraft = Path.Combine(server.Root, "targets.json");
        await RunAsync(server, true, "release", "draft", "--role", "targets", "--out", targetsDraft);
        await RunAsync(server, false, "release", "delegate", targetsDraft, "--role", "security", "--key", productionSecurity + ".pub.json");
        await RunAsync(server, false, "release", "sign", targetsDraft, "--key", productionTargets);
        await RunAsync(server, true, "release", "upload", targetsDraft, "--role", "targets");

        // The security team ships a patch on its own: publish, sign the security role offline, upload.
        var patch = Encoding.UTF8.GetBytes("security patch\n");
        var published = JsonDocument.Parse(await server.PublishAsync("patch.bin", patch, "1.0.1", 9, channel: "security")).RootElement;
        Assert.Equal("pending", published.GetProperty("state").GetString());
        var securityDraft = Path.Combine(server.Root, "security.json");
        await RunAsync(server, true, "release", "draft", "--role", "security", "--out", securityDraft);
        await RunAsync(server, false, "release", "sign", securityDraft, "--key", productionSecurity);
        await RunAsync(server, true, "release", "upload", securityDraft, "--role", "security");

        var (device, http) = server.NewDevice(TimeProvider.System, production: true);
        using var _ = http;
        await device.RefreshAsync();
        var target = await device.FindTargetAsync("security/1.0.1/patch.bin");
        Assert.Equal("security", target.Role);
        Assert.Equal(9, target.SecurityVersion);
        Assert.Equal(patch, await File.ReadAllBytesAsync(await device.DownloadTargetAsync(target, Path.Combine(server.Root, "agent"))));
        var tufJsResult = server.TufJs(tufJs, "security/1.0.1/patch.bin");
        Assert.True(tufJsResult.Code == 0, tufJsResult.Error + tufJsResult.Output);
    }

    [Fact]
    public async Task The_signing_policy_refuses_a_targets_key_outside_its_release_window_and_nothing_is_published()
    {
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        await using var server = await TufServerHarness.StartAsync(settings: (updates, settings) =>
        {
            var targets = TufKeyFile.Open(Path.Combine(updates.DevelopmentKeysDirectory, "targets.key"), () => null);
            var keyId = SigningKeyMarker.Mark(targets.PublicKey, SigningKeyClass.Development).KeyId;
            return settings with
            {
                SigningKeys = [new SigningKeySettings { KeyId = keyId, Class = "development", Windows = [new SigningWindow(yesterday.AddHours(-1), yesterday)] }],
            };
        });
        var file = Path.Combine(server.Root, "fw.bin");
        await File.WriteAllBytesAsync(file, Firmware);
        var refused = await server.CliAsync(true, "release", "publish", file, "--version", "1.0.0", "--security-version", "1", "--hardware", "robot-a");
        Assert.Equal(1, refused.Code);
        Assert.Contains(ReleaseSigningPolicy.WindowRule, refused.Error);

        var listed = await server.CliAsync(true, "release", "list", "--json");
        Assert.Empty(JsonDocument.Parse(listed.Output).RootElement.GetProperty("items").EnumerateArray());
    }
}
