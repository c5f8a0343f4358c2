using System.CommandLine;
using System.CommandLine.Parsing;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Microsoft.Extensions.Logging;

namespace Fleetward.Cli.Commands;

/// <summary>`fleetward server`: runs the control plane from a data directory until Ctrl-C or SIGTERM.</summary>
public static class ServerCommand
{
    /// <summary>How long in-flight requests get to finish after a stop signal.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory created by 'fleetward init'.", Required = true };
        var postgres = new Option<string?>("--postgres") { Description = "Use PostgreSQL at this connection string (overrides the configuration file)." };
        var operatorUrl = UrlOption("--operator-url", "Operator listener address, e.g. https://127.0.0.1:8443 (overrides the configuration file).", null);
        var deviceUrl = UrlOption("--device-url", "Device listener address, e.g. https://127.0.0.1:8444 (overrides the configuration file).", null);
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe log level written (JSON lines on stdout).", DefaultValueFactory = _ => LogLevel.Information };

        var command = new Command("server", "Run the control plane: the operator API (bearer tokens) and the device listener (mutual TLS), until Ctrl-C or SIGTERM.")
        {
            data, postgres, operatorUrl, deviceUrl, logLevel,
        };
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult.InvocationConfiguration.Error, () => RunAsync(
            new DataDirectory(parseResult.GetRequiredValue(data)),
            new ControlPlaneOverrides(parseResult.GetValue(postgres), parseResult.GetValue(operatorUrl), parseResult.GetValue(deviceUrl)),
            parseResult.GetValue(logLevel),
            parseResult.InvocationConfiguration.Error,
            cancellationToken)));
        return command;
    }

    /// <remarks>Status lines go to stderr: stdout carries only the JSON log lines, for log shippers.</remarks>
    private static async Task<int> RunAsync(DataDirectory directory, ControlPlaneOverrides overrides, LogLevel logLevel, TextWriter status, CancellationToken stop)
    {
        var setup = new FleetwardServerSetup { ConfigureLogging = logging => FleetwardServer.UseJsonConsoleLogging(logging, logLevel) };
        await using var plane = await ControlPlane.StartAsync(directory, overrides, setup, stop);
        await status.WriteLineAsync($"fleetward server: operator listener {plane.Server.OperatorAddress} device listener {plane.Server.DeviceAddress} " +
            $"store {(plane.Configuration.Engine == StorageEngine.Sqlite ? "sqlite " + plane.Configuration.SqlitePath : "postgres")}");
        await status.FlushAsync(CancellationToken.None);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }
        using var grace = new CancellationTokenSource(ShutdownGrace);
        await plane.StopAsync(grace.Token);
        await status.WriteLineAsync("fleetward server: stopped");
        return ExitCodes.Success;
    }

    /// <summary>An https:// listener URL option, validated at parse time so a typo fails before anything starts.</summary>
    public static Option<Uri?> UrlOption(string name, string description, Uri? defaultValue)
    {
        var option = new Option<Uri?>(name)
        {
            Description = description,
            HelpName = "URL",
            CustomParser = result => ParseUrl(result, name),
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }
        return option;
    }

    private static Uri? ParseUrl(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            result.AddError($"{name}: '{text}' is not an absolute URL.");
            return null;
        }
        if (!ServerOptions.TryGetEndPoint(url, out _, out var error))
        {
            result.AddError($"{name}: {error}");
            return null;
        }
        return url;
    }
}
