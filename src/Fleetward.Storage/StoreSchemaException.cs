namespace Fleetward.Storage;

/// <summary>
/// The database's schema cannot be used by this binary (for example it was migrated by a newer release).
/// Thrown before anything is written, so an older binary never damages a newer database.
/// </summary>
public sealed class StoreSchemaException(string message) : Exception(message);
