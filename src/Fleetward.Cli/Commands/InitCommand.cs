using System.CommandLine;
using System.Text.Json;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward init`: creates a data directory with configuration, database, operator certificate and the first admin token.</summary>
public static class InitCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory to create (must not be initialised yet).", Required = true };
        var postgres = new Option<string?>("--postgres") { Description = "Store data in PostgreSQL at this connection string instead of SQLite in the data directory." };
        var operatorUrl = ServerCommand.UrlOption("--operator-url", "Operator listener address written to the configuration.", ServerOptions.DefaultOperatorUrl);
        var deviceUrl = ServerCommand.UrlOption("--device-url", "Device listener address written to the configuration.", ServerOptions.DefaultDeviceUrl);
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };

        var command = new Command("init", "Create a data directory: configuration file, database, self-signed operator TLS certificate, and a first admin API token (printed once).")
        {
            data, postgres, operatorUrl, deviceUrl, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            return CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, async () =>
            {
                var directory = new DataDirectory(parseResult.GetRequiredValue(data));
                InitializedDataDirectory result;
                try
                {
                    result = await DataDirectoryInitializer.InitializeAsync(
                        directory,
                        parseResult.GetValue(operatorUrl) ?? ServerOptions.DefaultOperatorUrl,
                        parseResult.GetValue(deviceUrl) ?? ServerOptions.DefaultDeviceUrl,
                        parseResult.GetValue(postgres),
                        TimeProvider.System,
                        cancellationToken);
                }
                catch (ArgumentException exception)
                {
                    throw new UsageException(exception.Message);
                }

                if (parseResult.GetValue(json))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        dataDirectory = directory.Root,
                        configuration = directory.ConfigurationPath,
                        storage = result.Engine == StorageEngine.Sqlite ? "sqlite" : "postgres",
                        operatorCaFile = directory.OperatorCaPath,
                        adminTokenId = result.AdminTokenId,
                        adminToken = result.AdminToken,
                    }, new JsonSerializerOptions { WriteIndented = true }));
                    return ExitCodes.Success;
                }
                await output.WriteLineAsync($"Initialised {directory.Root} ({(result.Engine == StorageEngine.Sqlite ? "SQLite " + directory.DefaultDatabasePath : "PostgreSQL")}).");
                await output.WriteLineAsync($"  configuration:        {directory.ConfigurationPath}");
                await output.WriteLineAsync($"  operator certificate: {directory.OperatorCaPath} (clients pin it with --ca-file)");
                await output.WriteLineAsync("");
                await output.WriteLineAsync("Admin API token (shown only now; the server keeps only its hash):");
                await output.WriteLineAsync("  " + result.AdminToken);
                await output.WriteLineAsync("");
                await output.WriteLineAsync($"Start the server with: fleetward server --data {directory.Root}");
                return ExitCodes.Success;
            });
        });
        return command;
    }
}
