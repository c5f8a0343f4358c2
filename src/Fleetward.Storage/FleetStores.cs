using Fleetward.Core.Ports;
using Fleetward.Storage.Postgres;
using Fleetward.Storage.Sqlite;

namespace Fleetward.Storage;

/// <summary>
/// The way in to storage: opens a store on either engine with every migration applied, or refuses with
/// <see cref="StoreSchemaException"/> when the database is newer than this binary.
/// </summary>
public static class FleetStores
{
    public static async Task<IFleetStore> OpenSqliteAsync(string databasePath, CancellationToken cancellationToken = default, TimeProvider? time = null) =>
        await SqliteFleetStore.OpenAsync(databasePath, time ?? TimeProvider.System, cancellationToken);

    public static async Task<IFleetStore> OpenPostgresAsync(string connectionString, CancellationToken cancellationToken = default, TimeProvider? time = null) =>
        await PostgresFleetStore.OpenAsync(connectionString, time ?? TimeProvider.System, cancellationToken);

    /// <summary>The SQLite library in use ("3.40.1" from the system, or the bundled one).</summary>
    public static string SqliteVersion => SqliteNative.Version;
}
