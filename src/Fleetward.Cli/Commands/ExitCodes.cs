namespace Fleetward.Cli.Commands;

/// <summary>Process exit codes shared by every verb, so scripts can tell a bad configuration from a failed operation.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The operation failed (refused by the server, locked data directory, newer database...).</summary>
    public const int Failure = 1;

    /// <summary>Bad configuration or usage: a config file, key or option is missing or invalid.</summary>
    public const int Configuration = 2;
}
