using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Storage;

namespace Fleetward.Server.Configuration;

/// <summary>What `fleetward init` produced: where things are, and the first admin token (shown once, stored only as a hash).</summary>
public sealed record InitializedDataDirectory(DataDirectory Directory, StorageEngine Engine, string AdminToken, string AdminTokenId);

/// <summary>
/// Creates a data directory: operator TLS certificate and key, the database with its first admin
/// token, and finally the configuration file. The configuration file is written last, so a
/// directory that has one is complete, and an existing one is never overwritten.
/// </summary>
public static class DataDirectoryInitializer
{
    public static async Task<InitializedDataDirectory> InitializeAsync(
        DataDirectory directory,
        Uri operatorUrl,
        Uri deviceUrl,
        string? postgresConnectionString,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (directory.IsInitialised)
        {
            throw new DataDirectoryExistsException($"{directory.Root} is already initialised ({directory.ConfigurationPath} exists); nothing was changed.");
        }
        foreach (var leftover in new[] { directory.DefaultDatabasePath, directory.OperatorKeyPath, directory.OperatorCertificatePath, directory.OperatorCaPath, directory.AuditLogKeyPath, directory.AuditLogVerifierKeyPath, directory.CommandKeyPath })
        {
            if (File.Exists(leftover))
            {
                throw new DataDirectoryExistsException($"{directory.Root} holds {Path.GetFileName(leftover)} but no {Path.GetFileName(directory.ConfigurationPath)}: an interrupted init? Move the directory away and run init again; nothing was changed.");
            }
        }
        foreach (var (key, url) in new[] { ("--operator-url", operatorUrl), ("--device-url", deviceUrl) })
        {
            if (!Options.ServerOptions.TryGetEndPoint(url, out _, out var error))
            {
                throw new ArgumentException($"{key} {error}");
            }
        }

        Directory.CreateDirectory(directory.Root);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        using var directoryLock = DataDirectoryLock.Acquire(directory);

        using (var certificate = OperatorCertificate.CreateSelfSigned(time.GetUtcNow(), OperatorCertificate.DefaultValidity, [Environment.MachineName]))
        {
            OperatorCertificate.WritePem(certificate, directory.OperatorCertificatePath, directory.OperatorKeyPath);
            File.Copy(directory.OperatorCertificatePath, directory.OperatorCaPath);
        }

        Audit.AuditLogKeyFile.Create(directory.AuditLogKeyPath, directory.AuditLogVerifierKeyPath, Audit.AuditLogKeyFile.DefaultOrigin(Environment.MachineName));
        Detection.ServerCommandKey.Create(directory.CommandKeyPath).Dispose();

        IssuedApiToken admin;
        await using (var store = postgresConnectionString is null
            ? await FleetStores.OpenSqliteAsync(directory.DefaultDatabasePath, cancellationToken, time)
            : await FleetStores.OpenPostgresAsync(postgresConnectionString, cancellationToken, time))
        {
            admin = await new ApiTokenIssuer(store, time).IssueAsync("initial admin", OperatorRole.Admin, expiresAt: null, actor: "fleetward-init", cancellationToken);
            await Updates.DevelopmentKeySet.CreateAsync(new Updates.UpdatesDirectory(directory.Root), store, time, cancellationToken);
        }

        ConfigurationFile.Create(directory, operatorUrl, deviceUrl, postgresConnectionString);
        return new InitializedDataDirectory(directory, postgresConnectionString is null ? StorageEngine.Sqlite : StorageEngine.Postgres, admin.PlainText, admin.Token.Id);
    }
}

/// <summary>The data directory is already (or partly) initialised; init refuses to touch it.</summary>
public sealed class DataDirectoryExistsException(string message) : Exception(message);
