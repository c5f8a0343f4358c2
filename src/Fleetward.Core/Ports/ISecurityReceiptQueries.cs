using Fleetward.Core.Receipts;

namespace Fleetward.Core.Ports;

/// <summary>What the receipts ask of the database: the moment, the window and the certificate renewal deadline.</summary>
/// <param name="RenewalDeadlineFraction">
/// The fraction of a certificate's lifetime by which it must have been renewed to count as within the rotation SLO
/// (<see cref="SecurityReceiptsCalculator.RenewalDeadlineFraction"/>).
/// </param>
public sealed record ReceiptQuery(DateTimeOffset Now, DateTimeOffset WindowStart, double RenewalDeadlineFraction);

/// <summary>
/// The aggregate queries behind the security receipts. Every figure is counted by the database (COUNT, SUM, one
/// ORDER BY ... OFFSET for a median) so a report over 100k devices never loads the fleet into memory; the pure
/// <see cref="SecurityReceiptsCalculator"/> turns the counts into figures.
/// </summary>
public interface ISecurityReceiptQueries
{
    /// <summary>Counts everything the receipts need at <see cref="ReceiptQuery.Now"/> and over the window.</summary>
    Task<ReceiptFacts> GatherAsync(ReceiptQuery query, CancellationToken cancellationToken = default);

    /// <summary>Adds device-listener request counts to the hourly bucket that starts at <see cref="ConnectionTally.HourStart"/>.</summary>
    Task AddConnectionTallyAsync(ConnectionTally tally, CancellationToken cancellationToken = default);
}

/// <summary>
/// Device-listener requests counted by the server over part of one hour: authenticated with a client certificate
/// (mutual TLS), refused for want of one (401 or a refused TLS handshake), and anonymous (no certificate, on the
/// routes that allow it: EST bootstrap, TUF metadata).
/// </summary>
public sealed record ConnectionTally(DateTimeOffset HourStart, long Authenticated, long Refused, long Anonymous)
{
    /// <summary>The start of the UTC hour holding <paramref name="at"/>.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}
