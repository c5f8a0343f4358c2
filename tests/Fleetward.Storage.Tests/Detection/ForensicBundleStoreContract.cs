using System.Security.Cryptography;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Tests.Detection;

/// <summary>Forensic bundles on both engines: round trip of bytes and hash, one per command, scoped to the device.</summary>
public abstract class ForensicBundleStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);

    private static (ForensicBundleInfo, byte[]) Bundle(string id, string device, string command, DateTimeOffset at, string? incident = null)
    {
        var content = RandomNumberGenerator.GetBytes(5000);
        return (new ForensicBundleInfo(id, device, command, incident, Convert.ToHexStringLower(SHA256.HashData(content)), content.Length, at), content);
    }

    [Fact]
    public async Task A_bundle_round_trips_its_bytes_hash_and_metadata()
    {
        var (info, content) = Bundle("fb-1", "robot-1", "cmd-1", T0, "inc-1");
        await using (var work = await Store.BeginAsync())
        {
            Assert.True(await work.ForensicBundles.InsertAsync(info, content));
            await work.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var stored = await read.ForensicBundles.GetAsync("robot-1", "fb-1");
        Assert.NotNull(stored);
        Assert.Equal(info, stored.Value.Info);
        Assert.Equal(content, stored.Value.Content);
        Assert.Null(await read.ForensicBundles.GetAsync("robot-2", "fb-1"));
    }

    [Fact]
    public async Task A_second_bundle_for_the_same_command_is_refused()
    {
        var (first, a) = Bundle("fb-1", "robot-1", "cmd-1", T0);
        var (second, b) = Bundle("fb-2", "robot-1", "cmd-1", T0.AddMinutes(1));
        await using var work = await Store.BeginAsync();
        Assert.True(await work.ForensicBundles.InsertAsync(first, a));
        Assert.False(await work.ForensicBundles.InsertAsync(second, b));
        await work.CommitAsync();
    }

    [Fact]
    public async Task Listing_shows_only_the_device_s_bundles_newest_first()
    {
        await using (var work = await Store.BeginAsync())
        {
            foreach (var (info, content) in new[]
            {
                Bundle("fb-1", "robot-1", "cmd-1", T0),
                Bundle("fb-2", "robot-1", "cmd-2", T0.AddHours(1)),
                Bundle("fb-3", "robot-2", "cmd-3", T0.AddHours(2)),
            })
            {
                await work.ForensicBundles.InsertAsync(info, content);
            }
            await work.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(["fb-2", "fb-1"], (await read.ForensicBundles.ListForDeviceAsync("robot-1")).Select(b => b.Id));
    }
}

public sealed class SqliteForensicBundleStoreContract() : ForensicBundleStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresForensicBundleStoreContract() : ForensicBundleStoreContract(new PostgresTestStoreFactory());
