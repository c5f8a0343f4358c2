using System.Globalization;

namespace Fleetward.Core.Receipts;

/// <summary>
/// How people read a figure, the same in the CLI table, the dashboard and the demo: the value in its unit (or
/// "no data") and its numerator and denominator with their labels.
/// </summary>
public static class ReceiptText
{
    public const string NoData = "no data";

    public static string Value(ReceiptFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        if (figure.Value is not { } value)
        {
            return NoData;
        }
        return figure.Unit switch
        {
            ReceiptUnit.Percent => Number(value) + " %",
            ReceiptUnit.Seconds => Duration(value),
            ReceiptUnit.PerThousandDevices => Number(value) + " per 1,000",
            _ => value.ToString("N0", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>"n numerator-label / d denominator-label", with whichever side the figure has; empty when neither.</summary>
    public static string Fraction(ReceiptFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var parts = new List<string>();
        if (figure.Numerator is { } n) parts.Add($"{n.ToString("N0", CultureInfo.InvariantCulture)} {figure.NumeratorLabel}");
        if (figure.Denominator is { } d) parts.Add($"{d.ToString("N0", CultureInfo.InvariantCulture)} {figure.DenominatorLabel}");
        return string.Join(" / ", parts);
    }

    /// <summary>Seconds in the largest unit that keeps the number readable: 42 s, 7.5 min, 1.5 h, 3.2 d.</summary>
    public static string Duration(decimal seconds) => Math.Abs(seconds) switch
    {
        < 60m => Number(seconds) + " s",
        < 3600m => Number(decimal.Round(seconds / 60m, 1)) + " min",
        < 172_800m => Number(decimal.Round(seconds / 3600m, 1)) + " h",
        _ => Number(decimal.Round(seconds / 86_400m, 1)) + " d",
    };

    private static string Number(decimal value) => value.ToString("#,0.###", CultureInfo.InvariantCulture);
}
