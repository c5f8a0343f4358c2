using System.CommandLine;
using Fleetward.Cli.Commands;
using Fleetward.Core.Releases;
using Fleetward.Trust.Tuf;

namespace Fleetward.Server.Tests.Updates;

/// <summary>`fleetward keys` and `fleetward root` offline, without a server: an m-of-n root from scratch.</summary>
public sealed class KeyCeremonyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleetward-ceremony-").FullName;
    private readonly Dictionary<string, string> _env = new() { [KeysCommand.PassphraseVariable] = "ceremony passphrase" };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        string? Env(string name) => _env.GetValueOrDefault(name);
        var root = new RootCommand { KeysCommand.Create(Env), TufRootCommand.Create(Env) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> KeyAsync(string name, string type = "ed25519")
    {
        var path = Path.Combine(_dir, name + ".key");
        var result = await RunAsync("keys", "generate", "--type", type, "--out", path, "--iterations", "100000");
        Assert.True(result.Code == 0, result.Error);
        return path;
    }

    [Fact]
    public async Task A_two_of_three_root_made_offline_is_accepted_by_a_client_only_once_two_holders_signed()
    {
        var roots = new[] { await KeyAsync("alice"), await KeyAsync("bob", "ecdsa"), await KeyAsync("carol") };
        var online = await KeyAsync("online");
        var file = Path.Combine(_dir, "1.root.json");
        var init = await RunAsync(["root", "init", "--out", file, "--root-threshold", "2",
            .. roots.SelectMany(r => new[] { "--root-key", r + ".pub.json" }),
            "--targets-key", online + ".pub.json", "--snapshot-key", online + ".pub.json", "--timestamp-key", online + ".pub.json", "--class", "test"]);
        Assert.True(init.Code == 0, init.Error);

        Assert.Equal(0, (await RunAsync("root", "sign", file, "--key", roots[0])).Code);
        var now = DateTimeOffset.UtcNow;
        var refused = Assert.Throws<TufTrustException>(() => new TrustedMetadataSet(File.ReadAllBytes(file), now));
        Assert.Equal(TufTrustFailure.ThresholdNotMet, refused.Reason);

        Assert.Equal(0, (await RunAsync("root", "sign", file, "--key", roots[1])).Code);
        var trusted = new TrustedMetadataSet(File.ReadAllBytes(file), now);
        Assert.Equal(2, trusted.Root.Signed.RoleKeys(TufRoles.Root).Threshold);
        Assert.All(trusted.Root.Signed.Keys.Values, key => Assert.Equal(SigningKeyClass.Test, SigningKeyMarker.ClassOf(key)));
    }

    [Fact]
    public async Task Generate_refuses_to_overwrite_a_key_and_sign_refuses_a_key_the_root_does_not_list()
    {
        var key = await KeyAsync("k");
        var again = await RunAsync("keys", "generate", "--out", key);
        Assert.Equal(ExitCodes.Configuration, again.Code);
        Assert.Contains("already exists", again.Error);

        var file = Path.Combine(_dir, "1.root.json");
        Assert.Equal(0, (await RunAsync("root", "init", "--out", file, "--root-key", key + ".pub.json", "--targets-key", key + ".pub.json",
            "--snapshot-key", key + ".pub.json", "--timestamp-key", key + ".pub.json")).Code);
        var stranger = await KeyAsync("stranger");
        var refused = await RunAsync("root", "sign", file, "--key", stranger);
        Assert.Equal(ExitCodes.Configuration, refused.Code);
        Assert.Contains("not listed", refused.Error);
    }

    [Fact]
    public async Task A_wrong_passphrase_is_an_error_naming_the_key_file()
    {
        var key = await KeyAsync("k");
        _env[KeysCommand.PassphraseVariable] = "not the passphrase";
        var result = await RunAsync("keys", "show", key);
        Assert.Equal(ExitCodes.Configuration, result.Code);
        Assert.Contains(key, result.Error);
    }
}
