namespace Fleetward.Core.Receipts;

/// <summary>What a figure's value measures.</summary>
public enum ReceiptUnit
{
    Percent,
    Seconds,
    Count,
    PerThousandDevices,
    Entries,
}

/// <summary>Whether a figure is a snapshot at generation time or counts what happened in the window.</summary>
public enum ReceiptScope
{
    Current,
    Window,
}

/// <summary>
/// One security KPI with its evidence: the value, the numerator and denominator it was computed from (each labelled),
/// whether it is a snapshot or a window figure, and its definition. A figure without data has a null value and a
/// <see cref="Reason"/> instead of a misleading 0 or 100 %.
/// </summary>
public sealed record ReceiptFigure(
    string Id,
    string Title,
    string Definition,
    ReceiptUnit Unit,
    ReceiptScope Scope,
    decimal? Value,
    long? Numerator,
    string? NumeratorLabel,
    long? Denominator,
    string? DenominatorLabel,
    string? Reason,
    string? Detail = null);

/// <summary>
/// Ties a receipt to the tamper-evident audit log: the log size when the receipt was made and the newest signed
/// checkpoint (C2SP signed note) with whether the server verified it then.
/// </summary>
public sealed record ReceiptAuditAnchor(
    long LogSize,
    long? CheckpointTreeSize,
    string? CheckpointRootHashHex,
    DateTimeOffset? CheckpointCreatedAt,
    string? CheckpointNote,
    bool CheckpointVerified,
    string CheckpointDetail);

/// <summary>
/// The fleet's security posture as evidence ("security receipts"): each figure with its numerator, denominator and
/// window, made by one named server at one instant and anchored to its audit log.
/// </summary>
public sealed record SecurityReceipts(
    string Server,
    DateTimeOffset GeneratedAt,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyList<ReceiptFigure> Figures,
    ReceiptAuditAnchor Audit)
{
    /// <summary>The figure with id <paramref name="id"/> (see <see cref="ReceiptFigureIds"/>).</summary>
    /// <exception cref="KeyNotFoundException">No such figure.</exception>
    public ReceiptFigure Figure(string id) =>
        Figures.FirstOrDefault(f => f.Id == id) ?? throw new KeyNotFoundException($"The receipt has no figure '{id}'.");
}

/// <summary>Stable figure ids, shared by the API, the CLI, the dashboard and the docs (docs/receipts.md).</summary>
public static class ReceiptFigureIds
{
    public const string UniqueCredentials = "unique-credentials";
    public const string AuthenticatedConnections = "authenticated-connections";
    public const string CertificatesWithinRotationSlo = "certificates-within-rotation-slo";
    public const string DevicesOnLatestRelease = "devices-on-latest-release";
    public const string DevicesOnPreviousRelease = "devices-on-previous-release";
    public const string SignedOtaSuccessRate = "signed-ota-success-rate";
    public const string RollbackIncidents = "rollback-incidents";
    public const string MedianTimeToPatch = "median-time-to-patch";
    public const string MedianTimeToPatchSecurity = "median-time-to-patch-security";
    public const string MeanTimeToDetect = "mean-time-to-detect";
    public const string MeanTimeToRecover = "mean-time-to-recover";
    public const string IsolatesPerThousandDevices = "isolates-per-1000-devices";
    public const string AuditLogSize = "audit-log-size";
    public const string LastVerifiedCheckpoint = "last-verified-checkpoint";
}

/// <summary>Stable wire names of units and scopes.</summary>
public static class ReceiptNames
{
    public static string ToName(this ReceiptUnit unit) => unit switch
    {
        ReceiptUnit.Percent => "percent",
        ReceiptUnit.Seconds => "seconds",
        ReceiptUnit.Count => "count",
        ReceiptUnit.PerThousandDevices => "per-1000-devices",
        ReceiptUnit.Entries => "entries",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    public static string ToName(this ReceiptScope scope) => scope == ReceiptScope.Current ? "current" : "window";

    public static bool TryParseUnit(string? name, out ReceiptUnit unit)
    {
        foreach (var candidate in Enum.GetValues<ReceiptUnit>())
        {
            if (candidate.ToName() == name)
            {
                unit = candidate;
                return true;
            }
        }
        unit = default;
        return false;
    }

    public static bool TryParseScope(string? name, out ReceiptScope scope)
    {
        scope = name == "current" ? ReceiptScope.Current : ReceiptScope.Window;
        return name is "current" or "window";
    }
}
