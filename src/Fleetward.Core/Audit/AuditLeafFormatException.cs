namespace Fleetward.Core.Audit;

/// <summary>An audit event that cannot be encoded, or leaf bytes that are not a canonical encoding; names the field.</summary>
public sealed class AuditLeafFormatException(string field, string message) : FormatException($"{field}: {message}")
{
    public string Field { get; } = field;
}
