namespace Fleetward.Trust.Tuf;

/// <summary>Metadata that does not follow the TUF 1.0 format; <see cref="Field"/> is the JSON path of the offending field.</summary>
public sealed class TufMetadataFormatException(string field, string message, Exception? inner = null)
    : Exception($"{field} {message}", inner)
{
    public string Field { get; } = field;
}
