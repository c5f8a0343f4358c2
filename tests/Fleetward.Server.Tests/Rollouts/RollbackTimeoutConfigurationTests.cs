using System.Text.Json.Nodes;
using Fleetward.Server.Configuration;
using Fleetward.Server.Rollouts;
using Fleetward.Server.Tests.Cli;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>The rollback timeout comes from rollouts.rollbackTimeoutSeconds in the server's configuration file.</summary>
public sealed class RollbackTimeoutConfigurationTests : IDisposable
{
    private readonly DirectoryInfo _parent = Directory.CreateTempSubdirectory("fleetward-rollback-config-");

    private string Data => Path.Combine(_parent.FullName, "data");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _parent.Delete(recursive: true);
    }

    private async Task<DataDirectory> InitWithAsync(JsonNode? rollouts)
    {
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", Data)).ExitCode);
        var directory = new DataDirectory(Data);
        var root = JsonNode.Parse(await File.ReadAllTextAsync(directory.ConfigurationPath))!.AsObject();
        if (rollouts is not null)
        {
            root["rollouts"] = rollouts;
        }
        await File.WriteAllTextAsync(directory.ConfigurationPath, root.ToJsonString());
        return directory;
    }

    [Fact]
    public async Task Default_is_a_day_and_the_file_can_set_it()
    {
        Assert.Equal(RolloutTicker.DefaultRollbackTimeout, ConfigurationFile.Load(await InitWithAsync(null)).RolloutRollbackTimeout);
        Directory.Delete(Data, recursive: true);
        var configured = ConfigurationFile.Load(await InitWithAsync(new JsonObject { ["rollbackTimeoutSeconds"] = 3600 }));
        Assert.Equal(TimeSpan.FromHours(1), configured.RolloutRollbackTimeout);
    }

    [Fact]
    public async Task A_timeout_below_one_second_names_the_key()
    {
        var directory = await InitWithAsync(new JsonObject { ["rollbackTimeoutSeconds"] = 0 });
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationFile.Load(directory));
        Assert.Equal("rollouts.rollbackTimeoutSeconds", error.Key);
    }
}
