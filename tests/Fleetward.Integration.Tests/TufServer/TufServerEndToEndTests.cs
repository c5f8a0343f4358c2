using System.Text;
using System.Text.Json;
using Fleetward.Agent.Tuf;
using Fleetward.Integration.Tests.Tuf;
using Fleetward.Trust.Tuf;

namespace Fleetward.Integration.Tests.TufServer;

/// <summary>
/// The proof of issue 4 against the real server: Fleetward's agent client and the npm tuf-js client both refresh and
/// download releases published through the CLI, and both refuse a tampered artifact and expired metadata.
/// </summary>
public sealed class TufServerEndToEndTests(TufJsEnvironment tufJs) : IClassFixture<TufJsEnvironment>
{
    private static readonly byte[] Firmware = Encoding.UTF8.GetBytes("robot firmware 1.0.0\n");

    [Fact]
    public async Task Agent_and_tuf_js_download_a_release_published_through_the_cli()
    {
        await using var server = await TufServerHarness.StartAsync();
        var published = JsonDocument.Parse(await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3)).RootElement;
        Assert.Equal("signed", published.GetProperty("state").GetString());

        var (updater, http) = server.NewDevice(TimeProvider.System);
        using (http)
        {
            await updater.RefreshAsync();
            var target = await updater.FindTargetAsync("stable/1.0.0/fw.bin");
            Assert.Equal(3, target.SecurityVersion);
            Assert.Equal("1.0.0", target.Info.Custom!["version"]!.GetValue<string>());
            var file = await updater.DownloadTargetAsync(target, Path.Combine(server.Root, "agent-download"));
            Assert.Equal(Firmware, await File.ReadAllBytesAsync(file));
        }

        var tufJsResult = server.TufJs(tufJs, "stable/1.0.0/fw.bin");
        Assert.True(tufJsResult.Code == 0, tufJsResult.Error + tufJsResult.Output);
        Assert.Contains("\"security_version\":3", tufJsResult.Output);
    }

    [Fact]
    public async Task A_tampered_artifact_is_refused_by_both_clients()
    {
        await using var server = await TufServerHarness.StartAsync();
        var published = JsonDocument.Parse(await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3)).RootElement;
        var stored = server.Repository.Artifacts.PathOf(published.GetProperty("sha256").GetString()!);
        await File.WriteAllBytesAsync(stored, Encoding.UTF8.GetBytes("robot firmware 6.6.6\n"));

        var (updater, http) = server.NewDevice(TimeProvider.System);
        using (http)
        {
            await updater.RefreshAsync();
            var target = await updater.FindTargetAsync("stable/1.0.0/fw.bin");
            var refused = await Assert.ThrowsAsync<TufTrustException>(() => updater.DownloadTargetAsync(target, Path.Combine(server.Root, "agent-download")));
            Assert.Equal(TufTrustFailure.LengthOrHashMismatch, refused.Reason);
        }
        var tufJsResult = server.TufJs(tufJs, "stable/1.0.0/fw.bin");
        Assert.Equal(1, tufJsResult.Code);
        Assert.Contains("refused", tufJsResult.Error);
    }

    [Fact]
    public async Task Expired_metadata_is_refused_by_both_clients_until_the_server_re_signs()
    {
        // The server's clock runs 36 hours behind: everything it signed with a one-day timestamp is expired in real time,
        // as if re-signing had stopped.
        await using var server = await TufServerHarness.StartAsync(DateTimeOffset.UtcNow.AddHours(-36));
        await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3);

        var (updater, http) = server.NewDevice(TimeProvider.System);
        using (http)
        {
            var refused = await Assert.ThrowsAsync<TufTrustException>(() => updater.RefreshAsync());
            Assert.Equal(TufTrustFailure.Expired, refused.Reason);
            Assert.Equal(TufRoles.Timestamp, refused.Role);
            var tufJsRefused = server.TufJs(tufJs, "stable/1.0.0/fw.bin");
            Assert.Equal(1, tufJsRefused.Code);
            Assert.Contains("expired", tufJsRefused.Error, StringComparison.OrdinalIgnoreCase);

            server.Clock.Now = DateTimeOffset.UtcNow;
            var resigned = await server.Repository.RefreshDueAsync(CancellationToken.None);
            Assert.Contains(TufRoles.Timestamp, resigned);

            await updater.RefreshAsync();
            Assert.Equal(Firmware.Length, (await updater.FindTargetAsync("stable/1.0.0/fw.bin")).Info.Length);
            var tufJsAccepted = server.TufJs(tufJs, "stable/1.0.0/fw.bin");
            Assert.True(tufJsAccepted.Code == 0, tufJsAccepted.Error + tufJsAccepted.Output);
        }
    }

    [Fact]
    public async Task A_security_channel_release_is_delegated_to_the_security_role_and_verified_by_both_clients()
    {
        await using var server = await TufServerHarness.StartAsync();
        await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3);
        var patch = Encoding.UTF8.GetBytes("security patch 1.0.1\n");
        var published = JsonDocument.Parse(await server.PublishAsync("patch.bin", patch, "1.0.1", 4, channel: "security")).RootElement;
        Assert.Equal("security", published.GetProperty("targetsRole").GetString());
        Assert.Equal("signed", published.GetProperty("state").GetString());

        var (updater, http) = server.NewDevice(TimeProvider.System);
        using (http)
        {
            await updater.RefreshAsync();
            var target = await updater.FindTargetAsync("security/1.0.1/patch.bin");
            Assert.Equal("security", target.Role);
            Assert.Equal(patch, await File.ReadAllBytesAsync(await updater.DownloadTargetAsync(target, Path.Combine(server.Root, "agent-download"))));
        }
        var tufJsResult = server.TufJs(tufJs, "security/1.0.1/patch.bin");
        Assert.True(tufJsResult.Code == 0, tufJsResult.Error + tufJsResult.Output);
    }

    [Fact]
    public async Task A_production_device_refuses_a_release_signed_by_development_keys()
    {
        await using var server = await TufServerHarness.StartAsync();
        await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3);
        var (updater, http) = server.NewDevice(TimeProvider.System, production: true);
        using (http)
        {
            await updater.RefreshAsync();
            var refused = await Assert.ThrowsAsync<TufTrustException>(() => updater.FindTargetAsync("stable/1.0.0/fw.bin"));
            Assert.Equal(TufTrustFailure.NonProductionKey, refused.Reason);
        }
    }

    [Fact]
    public async Task The_agent_command_downloads_from_the_server_and_as_a_production_device_refuses_development_signed_releases()
    {
        await using var server = await TufServerHarness.StartAsync();
        await server.PublishAsync("fw.bin", Firmware, "1.0.0", 3);

        async Task<(int Code, string Output, string Error)> AgentAsync(params string[] args)
        {
            var agent = new System.CommandLine.RootCommand { Fleetward.Cli.Commands.AgentTufCommand.Create() };
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await agent.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
            return (code, output.ToString(), error.ToString());
        }
        string[] Device(string dir, params string[] extra) =>
        [
            "tuf", "--metadata-dir", dir, "--metadata-url", server.MetadataUrl.AbsoluteUri, "--target-base-url", server.TargetsUrl.AbsoluteUri,
            "--target-name", "stable/1.0.0/fw.bin", "--target-dir", Path.Combine(dir, "targets"), "--ca-file", server.Data.OperatorCaPath, .. extra,
        ];

        foreach (var (dir, production) in new[] { (Path.Combine(server.Root, "lab-device"), false), (Path.Combine(server.Root, "production-device"), true) })
        {
            var init = await AgentAsync("tuf", "--metadata-dir", dir, "init", Fleetward.Server.Updates.DevelopmentKeySet.RootFilePath(server.Updates));
            Assert.True(init.Code == 0, init.Error);
            var download = await AgentAsync(Device(dir, production ? ["--production", "download"] : ["download"]));
            if (production)
            {
                Assert.Equal(1, download.Code);
                Assert.Contains("NonProductionKey", download.Error);
            }
            else
            {
                Assert.True(download.Code == 0, download.Error);
                Assert.Contains("security version 3", download.Output);
            }
        }
    }
}
