using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Fleetward.Storage.Sql;

/// <summary>One numbered schema change, read from an embedded <c>NNNN_name.sql</c> resource of its engine.</summary>
internal sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>Loads the engine's migrations (resources under <c>Fleetward.Storage.{engine}.Migrations.</c>) in version order.</summary>
    public static IReadOnlyList<Migration> LoadEmbedded(string engineFolder)
    {
        var assembly = typeof(Migration).Assembly;
        var prefix = $"Fleetward.Storage.{engineFolder}.Migrations.";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var fileName = resource[prefix.Length..^".sql".Length];
            var underscore = fileName.IndexOf('_');
            if (underscore <= 0 || !int.TryParse(fileName[..underscore], out var version))
            {
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, fileName[(underscore + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations of {engineFolder} must be numbered 1..n without gaps; found {migrations[i].Version} at position {i + 1}.");
            }
        }

        return migrations;
    }
}

/// <summary>
/// Applies pending migrations inside the caller's transaction and refuses a database that knows
/// migrations this binary does not (it was written by a newer release).
/// </summary>
internal static class MigrationRunner
{
    public const string VersionTableDdl =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

    public static async Task ApplyAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Migration> migrations, string engine, TimeProvider time, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(VersionTableDdl, transaction: transaction, cancellationToken: cancellationToken));
        var applied = (await connection.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();
        var newest = applied.Count == 0 ? 0 : applied.Max();
        if (newest > migrations.Count)
        {
            throw new StoreSchemaException(
                $"The {engine} database is at schema version {newest}, newer than this binary knows (up to {migrations.Count}). " +
                "Run the Fleetward release that migrated it, or a newer one; nothing was changed.");
        }

        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { migration.Version, migration.Name, At = time.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction, cancellationToken: cancellationToken));
        }
    }
}
