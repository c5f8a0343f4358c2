namespace Fleetward.Server.Configuration;

/// <summary>
/// The layout of a server's data directory: one place that names every file `fleetward init`
/// creates and `fleetward server` reads.
/// </summary>
public sealed class DataDirectory(string path)
{
    public string Root { get; } = Path.GetFullPath(path);

    public string ConfigurationPath => Path.Combine(Root, "fleetward.json");

    public string DefaultDatabasePath => Path.Combine(Root, "fleetward.db");

    public string LockPath => Path.Combine(Root, "fleetward.lock");

    public string OperatorCertificatePath => Path.Combine(Root, "operator.crt");

    public string OperatorKeyPath => Path.Combine(Root, "operator.key");

    /// <summary>The certificate operators' clients pin (<c>--ca-file</c>); a copy of the operator certificate.</summary>
    public string OperatorCaPath => Path.Combine(Root, "operator-ca.pem");

    /// <summary>The audit log's signing key (secret, mode 0600).</summary>
    public string AuditLogKeyPath => Path.Combine(Root, "audit-log.key");

    /// <summary>The audit log's verifier key (vkey text) that auditors pin, next to the operator certificate.</summary>
    public string AuditLogVerifierKeyPath => Path.Combine(Root, "audit-log.vkey");

    /// <summary>The server command signing key (ECDSA P-256, PKCS#8 PEM, mode 0600); devices trust its public key.</summary>
    public string CommandKeyPath => Path.Combine(Root, "command-key.pem");

    public bool IsInitialised => File.Exists(ConfigurationPath);

    /// <summary>Resolves a path from the configuration file: relative paths are relative to the data directory.</summary>
    public string Resolve(string configuredPath) => Path.GetFullPath(configuredPath, Root);
}

/// <summary>
/// Holds the data directory's exclusive lock for the life of a server process, so a second server
/// on the same directory (and the same SQLite database) refuses to start instead of corrupting state.
/// The lock is an open file with no sharing (an advisory flock on Unix); the OS drops it if the process dies.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream stream;

    private DataDirectoryLock(FileStream stream) => this.stream = stream;

    /// <exception cref="DataDirectoryLockedException">Another server holds the lock.</exception>
    public static DataDirectoryLock Acquire(DataDirectory directory)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(directory.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception) when (exception is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DataDirectoryLockedException(
                $"The data directory {directory.Root} is in use by another fleetward server (lock {directory.LockPath} is held).", exception);
        }
        // Record the holder for a human looking at the file; the lock itself is the open handle.
        stream.SetLength(0);
        using (var writer = new StreamWriter(stream, leaveOpen: true))
        {
            writer.Write(Environment.ProcessId + "\n");
        }
        stream.Flush();
        return new DataDirectoryLock(stream);
    }

    public void Dispose() => stream.Dispose();
}

/// <summary>The data directory is locked by another running server.</summary>
public sealed class DataDirectoryLockedException(string message, Exception cause) : Exception(message, cause);
