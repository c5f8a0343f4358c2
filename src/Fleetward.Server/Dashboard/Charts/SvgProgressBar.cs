using System.Globalization;
using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Dashboard.Charts;

/// <summary>
/// A single horizontal bar split into coloured segments out of a whole (a rollout ring: succeeded, failed,
/// in progress, rolled back out of its target devices). Pure geometry like <see cref="SvgCharts"/>: the
/// segments and the remaining track are classes, the description lists every value for screen readers.
/// </summary>
public static class SvgProgressBar
{
    public const double Width = 300;
    public const double Height = 14;

    /// <summary>Where each segment starts and how long it is, left to right; the whole is at least the segments' sum.</summary>
    public static IReadOnlyList<(double X, double Width)> Segments(IReadOnlyList<ChartDatum> segments, double whole)
    {
        var sum = segments.Sum(s => s.Value);
        var scale = Math.Max(whole, sum);
        var result = new (double X, double Width)[segments.Count];
        var x = 0.0;
        for (var i = 0; i < segments.Count; i++)
        {
            var width = scale == 0 ? 0 : Width * segments[i].Value / scale;
            result[i] = (x, width);
            x += width;
        }
        return result;
    }

    public static void Render(HtmlWriter html, string id, string title, IReadOnlyList<ChartDatum> segments, double whole)
    {
        var description = $"{Number(segments.Sum(s => s.Value))} of {Number(Math.Max(whole, segments.Sum(s => s.Value)))}: "
            + string.Join("; ", segments.Select(s => $"{s.Label} {Number(s.Value)}")) + ".";
        using (html.Open("svg", ("viewBox", $"0 0 {Number(Width)} {Number(Height)}"), ("class", "chart chart-progress"), ("role", "img"),
            ("aria-labelledby", id + "-title " + id + "-desc"), ("id", id), ("preserveAspectRatio", "none")))
        {
            html.Element("title", title, ("id", id + "-title"));
            html.Element("desc", description, ("id", id + "-desc"));
            html.Element("rect", null, ("x", "0"), ("y", "0"), ("width", Number(Width)), ("height", Number(Height)), ("rx", "3"), ("class", "chart-track"));
            var geometry = Segments(segments, whole);
            for (var i = 0; i < segments.Count; i++)
            {
                if (geometry[i].Width <= 0)
                {
                    continue;
                }
                using (html.Open("rect", ("x", Number(geometry[i].X)), ("y", "0"), ("width", Number(geometry[i].Width)), ("height", Number(Height)),
                    ("class", "chart-bar-fill tone-" + segments[i].Tone)))
                {
                    html.Element("title", $"{segments[i].Label}: {Number(segments[i].Value)}");
                }
            }
        }
    }

    private static string Number(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);
}
