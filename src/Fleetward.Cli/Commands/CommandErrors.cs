using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Fleetward.Storage;

namespace Fleetward.Cli.Commands;

/// <summary>
/// Runs a verb's action and turns the failures a user can act on into one "error:" line and an exit
/// code; anything else is a bug and keeps its stack trace.
/// </summary>
public static class CommandErrors
{
    public static async Task<int> RunAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (Classify(exception) is { } exitCode)
        {
            await error.WriteLineAsync("error: " + Describe(exception));
            return exitCode;
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } =>
            "the server's TLS certificate is not trusted: " + exception.InnerException.Message
            + " Pass the server's certificate with --ca-file (for a server made by 'fleetward init': DATA/operator-ca.pem).",
        HttpRequestException { InnerException: { } inner } => exception.Message + " " + inner.Message,
        TaskCanceledException => "the server did not answer in time.",
        _ => exception.Message,
    };

    private static int? Classify(Exception exception) => exception switch
    {
        ConfigurationException or ServerOptionsException or UsageException => ExitCodes.Configuration,
        DataDirectoryLockedException or DataDirectoryExistsException or StoreSchemaException or OperatorApiException => ExitCodes.Failure,
        HttpRequestException or TaskCanceledException => ExitCodes.Failure,
        _ => null,
    };
}

/// <summary>A missing or invalid option or argument; the message names it.</summary>
public sealed class UsageException(string message) : Exception(message);
