using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Fleetward.Storage.Sql;

/// <summary>
/// One numbered schema change, read from an embedded <c>NNNN_name.sql</c> resource of its engine. Each area of the
/// product owns a block of numbers (0001-0099 foundation, 0100 identity, 0200 updates, 0300 audit, 0400 rollouts,
/// 0500 detection, 0560 geofences), so areas developed side by side never collide; pending ones apply in number order.
/// </summary>
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
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations of {engineFolder} share number {migrations[i].Version}.");
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
        var unknown = applied.Where(v => migrations.All(m => m.Version != v)).Order().ToList();
        if (unknown.Count > 0)
        {
            throw new StoreSchemaException(
                $"The {engine} database has schema migration(s) {string.Join(", ", unknown)} that this binary does not know " +
                $"(it knows up to {migrations[^1].Version}): the database is newer than this binary. " +
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
