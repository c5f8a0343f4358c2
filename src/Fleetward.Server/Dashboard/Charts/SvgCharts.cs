using System.Globalization;
using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Dashboard.Charts;

/// <summary>One value of a chart; <see cref="Tone"/> names the CSS colour class (tone-*) so the palette lives in the stylesheet.</summary>
public sealed record ChartDatum
{
    public ChartDatum(string label, double value, string tone = "1")
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Chart value for '{label}' must be finite and not negative.");
        }
        Label = label;
        Value = value;
        Tone = tone;
    }

    public string Label { get; }

    public double Value { get; }

    public string Tone { get; }
}

/// <summary>
/// Inline SVG charts as pure functions of their data, so geometry is unit-tested and pages need
/// neither script nor a charting library. Every chart is an <c>img</c> for assistive technology
/// with a title naming what it shows and a description listing every value, because a screen
/// reader cannot read bar lengths. Colours are CSS classes (no style attributes: the CSP forbids them).
/// </summary>
public static class SvgCharts
{
    public const double BarWidth = 600;
    public const double BarRowHeight = 32;
    public const double BarLabelWidth = 180;
    public const double BarValueWidth = 64;
    public const double BarThickness = 18;

    /// <summary>Radius whose circumference is 100, so a segment's dash length is its percentage.</summary>
    public const double DonutRadius = 15.915494309189533;
    public const double DonutStroke = 6;

    public const double SparklineWidth = 160;
    public const double SparklineHeight = 36;
    public const double SparklinePadding = 2;

    /// <summary>A horizontal bar chart: one row per datum, bar lengths proportional to the largest value.</summary>
    public static void BarChart(HtmlWriter html, string id, string title, IReadOnlyList<ChartDatum> data)
    {
        var rows = Math.Max(1, data.Count);
        var max = data.Count == 0 ? 0 : data.Max(d => d.Value);
        var track = BarWidth - BarLabelWidth - BarValueWidth;
        using (OpenSvg(html, id, title, Describe(data), "chart chart-bar", $"0 0 {Number(BarWidth)} {Number(rows * BarRowHeight)}"))
        {
            if (data.Count == 0)
            {
                html.Element("text", "No data", ("x", Number(BarLabelWidth)), ("y", Number(BarRowHeight * 0.62)), ("class", "chart-empty"));
            }
            for (var i = 0; i < data.Count; i++)
            {
                var datum = data[i];
                var top = i * BarRowHeight;
                var length = max == 0 ? 0 : track * datum.Value / max;
                var baseline = Number(top + BarRowHeight * 0.62);
                html.Element("text", Shorten(datum.Label, 26), ("x", Number(BarLabelWidth - 10)), ("y", baseline),
                    ("text-anchor", "end"), ("class", "chart-label"));
                html.Element("rect", null, ("x", Number(BarLabelWidth)), ("y", Number(top + (BarRowHeight - BarThickness) / 2)),
                    ("width", Number(track)), ("height", Number(BarThickness)), ("rx", "3"), ("class", "chart-track"));
                using (html.Open("rect", ("x", Number(BarLabelWidth)), ("y", Number(top + (BarRowHeight - BarThickness) / 2)),
                    ("width", Number(length)), ("height", Number(BarThickness)), ("rx", "3"), ("class", "chart-bar-fill tone-" + datum.Tone)))
                {
                    html.Element("title", $"{datum.Label}: {Number(datum.Value)}");
                }
                html.Element("text", Number(datum.Value), ("x", Number(BarLabelWidth + length + 8)), ("y", baseline), ("class", "chart-value"));
            }
        }
    }

    /// <summary>
    /// A donut of shares of a whole, drawn as dashed circle strokes (one per non-zero datum) starting
    /// at twelve o'clock and going clockwise, with the total in the centre.
    /// </summary>
    public static void Donut(HtmlWriter html, string id, string title, IReadOnlyList<ChartDatum> data, string totalLabel)
    {
        var total = data.Sum(d => d.Value);
        using (OpenSvg(html, id, title, Describe(data), "chart chart-donut", "0 0 42 42"))
        {
            html.Element("circle", null, ("cx", "21"), ("cy", "21"), ("r", Number(DonutRadius)), ("fill", "none"),
                ("stroke-width", Number(DonutStroke)), ("class", "chart-track"));
            var start = 0.0;
            foreach (var datum in data)
            {
                if (datum.Value == 0 || total == 0)
                {
                    continue;
                }
                var percent = 100 * datum.Value / total;
                // The dash starts at three o'clock; an offset of 25 moves it to twelve, and each earlier segment shifts it on.
                using (html.Open("circle", ("cx", "21"), ("cy", "21"), ("r", Number(DonutRadius)), ("fill", "none"),
                    ("stroke-width", Number(DonutStroke)), ("stroke-dasharray", Number(percent) + " " + Number(100 - percent)),
                    ("stroke-dashoffset", Number(25 - start)), ("class", "chart-segment tone-" + datum.Tone)))
                {
                    html.Element("title", $"{datum.Label}: {Number(datum.Value)} ({Number(Math.Round(percent, 1))}%)");
                }
                start += percent;
            }
            html.Element("text", Number(total), ("x", "21"), ("y", "21"), ("text-anchor", "middle"), ("class", "chart-total"));
            html.Element("text", totalLabel, ("x", "21"), ("y", "26.5"), ("text-anchor", "middle"), ("class", "chart-total-label"));
        }
    }

    /// <summary>A colour key for a chart, as a list the reader can scan (the SVG title carries the same data).</summary>
    public static void Legend(HtmlWriter html, IReadOnlyList<ChartDatum> data)
    {
        using (html.Open("ul", ("class", "legend")))
        {
            foreach (var datum in data)
            {
                using (html.Open("li"))
                {
                    html.Element("span", null, ("class", "swatch tone-" + datum.Tone), ("aria-hidden", "true"));
                    html.Element("span", datum.Label, ("class", "legend-label"));
                    html.Element("span", Number(datum.Value), ("class", "legend-value"));
                }
            }
        }
    }

    /// <summary>A small line of a series over time, scaled to its own minimum and maximum, oldest value on the left.</summary>
    public static void Sparkline(HtmlWriter html, string id, string title, IReadOnlyList<double> values)
    {
        foreach (var value in values)
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(values), value, $"Sparkline '{title}' has a value that is not finite.");
            }
        }
        var description = values.Count == 0
            ? "No data."
            : $"{values.Count} values from {Number(values[0])} to {Number(values[^1])}; minimum {Number(values.Min())}, maximum {Number(values.Max())}.";
        using (OpenSvg(html, id, title, description, "chart chart-sparkline", $"0 0 {Number(SparklineWidth)} {Number(SparklineHeight)}"))
        {
            if (values.Count == 0)
            {
                return;
            }
            var points = SparklinePoints(values);
            html.Element("polyline", null, ("points", string.Join(" ", points.Select(p => Number(p.X) + "," + Number(p.Y)))),
                ("fill", "none"), ("class", "chart-line"));
            html.Element("circle", null, ("cx", Number(points[^1].X)), ("cy", Number(points[^1].Y)), ("r", "2"), ("class", "chart-line-end"));
        }
    }

    /// <summary>Where each sparkline value lands: x evenly spaced, y scaled so the minimum touches the bottom and the maximum the top.</summary>
    public static IReadOnlyList<(double X, double Y)> SparklinePoints(IReadOnlyList<double> values)
    {
        var min = values.Min();
        var max = values.Max();
        var innerWidth = SparklineWidth - 2 * SparklinePadding;
        var innerHeight = SparklineHeight - 2 * SparklinePadding;
        var points = new (double X, double Y)[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var x = values.Count == 1 ? SparklineWidth / 2 : SparklinePadding + innerWidth * i / (values.Count - 1);
            // A flat series is drawn through the middle rather than along an edge.
            var y = max == min ? SparklineHeight / 2 : SparklinePadding + innerHeight * (max - values[i]) / (max - min);
            points[i] = (x, y);
        }
        return points;
    }

    private static string Number(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static string Describe(IReadOnlyList<ChartDatum> data) =>
        data.Count == 0 ? "No data." : string.Join("; ", data.Select(d => $"{d.Label}: {Number(d.Value)}")) + ".";

    private static HtmlWriter.ElementScope OpenSvg(HtmlWriter html, string id, string title, string description, string cssClass, string viewBox)
    {
        var scope = html.Open("svg", ("viewBox", viewBox), ("class", cssClass), ("role", "img"),
            ("aria-labelledby", id + "-title " + id + "-desc"), ("id", id));
        html.Element("title", title, ("id", id + "-title"));
        html.Element("desc", description, ("id", id + "-desc"));
        return scope;
    }
}
