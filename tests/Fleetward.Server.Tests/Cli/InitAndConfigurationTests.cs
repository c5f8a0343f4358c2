using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fleetward.Cli.Commands;
using Fleetward.Server.Access;
using Fleetward.Server.Configuration;
using Fleetward.Storage;

namespace Fleetward.Server.Tests.Cli;

public sealed class InitAndConfigurationTests : IDisposable
{
    private readonly DirectoryInfo parent = Directory.CreateTempSubdirectory("fleetward-init-test-");

    private string Data => Path.Combine(parent.FullName, "data");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        parent.Delete(recursive: true);
    }

    [Fact]
    public async Task Init_creates_configuration_database_certificate_and_one_admin_token_stored_as_a_hash()
    {
        var result = await CliRunner.RunAsync("init", "--data", Data);

        Assert.Equal(0, result.ExitCode);
        var directory = new DataDirectory(Data);
        Assert.True(directory.IsInitialised);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.OperatorKeyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.ConfigurationPath));
        }
        Assert.Equal(await File.ReadAllTextAsync(directory.OperatorCertificatePath), await File.ReadAllTextAsync(directory.OperatorCaPath));
        using (var certificate = OperatorCertificate.LoadPem(directory.OperatorCertificatePath, directory.OperatorKeyPath))
        {
            Assert.True(certificate.HasPrivateKey);
        }

        var printed = result.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("fw_", StringComparison.Ordinal));
        Assert.True(ApiTokenSecret.TryParse(printed, out var secret));
        var configuration = ConfigurationFile.Load(directory);
        Assert.Equal(StorageEngine.Sqlite, configuration.Engine);
        await using var store = await FleetStores.OpenSqliteAsync(configuration.SqlitePath);
        await using var read = await store.ReadAsync();
        var tokens = await read.Tokens.ListAsync();
        var admin = Assert.Single(tokens);
        Assert.Equal(Core.Access.OperatorRole.Admin, admin.Role);
        Assert.True(secret.Matches(admin.SecretHash));
        Assert.False(File.ReadAllBytes(directory.DefaultDatabasePath).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(printed[20..])) >= 0,
            "the plaintext secret must not be in the database");
    }

    [Fact]
    public async Task Init_refuses_an_initialised_directory_and_changes_nothing()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", Data)).ExitCode);
        var before = Snapshot();

        var again = await CliRunner.RunAsync("init", "--data", Data);

        Assert.Equal(ExitCodes.Failure, again.ExitCode);
        Assert.Contains("already initialised", again.Error);
        Assert.Equal(before, Snapshot());
    }

    [Theory]
    [InlineData("corrupt", null, "not valid JSON")]
    [InlineData("drop storage.engine", "storage.engine", "is missing")]
    [InlineData("storage.engine=mysql", "storage.engine", "must be \"sqlite\" or \"postgres\"")]
    [InlineData("listeners.operatorUrl=http://127.0.0.1:8443", "listeners.operatorUrl", "https://")]
    [InlineData("listeners.operatorUrk=https://127.0.0.1:8443", "listeners.operatorUrk", "unknown key")]
    [InlineData("version=\"1\"", "version", "must be an integer")]
    [InlineData("drop tls", "tls", "is missing")]
    [InlineData("storage.engine=postgres", "storage.postgresConnectionString", "is required")]
    [InlineData("tls.operatorKey=missing.key", "tls.operatorCertificate", "cannot load")]
    public async Task A_bad_configuration_exits_2_naming_file_and_key_and_leaves_the_file_alone(string change, string? key, string problem)
    {
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", Data)).ExitCode);
        var directory = new DataDirectory(Data);
        await File.WriteAllTextAsync(directory.ConfigurationPath, Mutate(await File.ReadAllTextAsync(directory.ConfigurationPath), change));
        var before = Snapshot();

        var result = await CliRunner.RunAsync("server", "--data", Data, "--operator-url", "https://127.0.0.1:0", "--device-url", "https://127.0.0.1:0");

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(directory.ConfigurationPath, result.Error);
        if (key is not null)
        {
            Assert.Contains($"key '{key}'", result.Error);
        }
        Assert.Contains(problem, result.Error);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task A_directory_that_was_never_initialised_exits_2_and_is_not_created()
    {
        var result = await CliRunner.RunAsync("server", "--data", Data);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("fleetward init", result.Error);
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task A_database_newer_than_the_binary_is_refused_with_a_clear_message()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", Data)).ExitCode);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={new DataDirectory(Data).DefaultDatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, 'from_the_future', 0)";
            await command.ExecuteNonQueryAsync();
        }

        var result = await CliRunner.RunAsync("server", "--data", Data, "--operator-url", "https://127.0.0.1:0", "--device-url", "https://127.0.0.1:0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("999999", result.Error);
    }

    [Theory]
    [InlineData("30d", 30 * 24 * 60)]
    [InlineData("12h", 12 * 60)]
    [InlineData("45m", 45)]
    public void Token_lifetimes_parse(string text, int minutes)
    {
        Assert.True(TokenCommand.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMinutes(minutes), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("d")]
    [InlineData("-1d")]
    [InlineData("0d")]
    [InlineData("3w")]
    [InlineData("99999999999d")]
    public void Bad_token_lifetimes_do_not_parse(string text) => Assert.False(TokenCommand.TryParseDuration(text, out _));

    private Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Data).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal) && !f.Contains(".db-", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static string Mutate(string json, string change)
    {
        if (change == "corrupt")
        {
            return json[..(json.Length / 2)];
        }
        var root = JsonNode.Parse(json)!.AsObject();
        if (change.StartsWith("drop ", StringComparison.Ordinal))
        {
            var path = change[5..].Split('.');
            var parent = path.Length == 1 ? root : root[path[0]]!.AsObject();
            parent.Remove(path[^1]);
            return root.ToJsonString();
        }
        var (key, value) = (change[..change.IndexOf('=')], change[(change.IndexOf('=') + 1)..]);
        var parts = key.Split('.');
        var target = parts.Length == 1 ? root : root[parts[0]]!.AsObject();
        target[parts[^1]] = value.StartsWith('"') ? JsonValue.Create(value.Trim('"')) : JsonValue.Create(value);
        if (key == "version")
        {
            target[parts[^1]] = JsonValue.Create("1");
        }
        return root.ToJsonString();
    }
}
