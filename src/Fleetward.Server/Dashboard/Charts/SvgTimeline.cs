using System.Globalization;
using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Dashboard.Charts;

/// <summary>Which lane of a timeline a mark sits in: milestones on the axis, detections and responses below it.</summary>
public enum TimelineLane
{
    Milestone,
    Detection,
    Response,
}

/// <summary>One event on a timeline; <see cref="Tone"/> names the CSS colour class (tone-*).</summary>
public sealed record TimelineMark(DateTimeOffset At, string Label, TimelineLane Lane, string Tone);

/// <summary>
/// A horizontal SVG timeline of an incident (or anything with milestones): the axis spans the first to the
/// last event, milestones are labelled on it, detections and responses sit in their own lanes below, each mark
/// with a tooltip naming the event and its UTC time. The table next to it carries the same events as text.
/// </summary>
public static class SvgTimeline
{
    public const double Width = 800;
    public const double Height = 170;
    public const double Left = 60;
    public const double Right = 740;
    public const double AxisY = 80;

    private static readonly IReadOnlyDictionary<TimelineLane, double> LaneY = new Dictionary<TimelineLane, double>
    {
        [TimelineLane.Milestone] = AxisY,
        [TimelineLane.Detection] = 112,
        [TimelineLane.Response] = 136,
    };

    /// <summary>Where an instant lands between <paramref name="start"/> and <paramref name="end"/>; a zero-length span puts everything in the middle.</summary>
    public static double X(DateTimeOffset at, DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            return (Left + Right) / 2;
        }
        var fraction = (at - start) / (end - start);
        return Left + (Right - Left) * Math.Clamp(fraction, 0, 1);
    }

    public static void Render(HtmlWriter html, string id, string title, IReadOnlyList<TimelineMark> marks)
    {
        var ordered = marks.OrderBy(m => m.At).ToList();
        var description = ordered.Count == 0
            ? "No events."
            : string.Join("; ", ordered.Select(m => $"{Time(m.At)} {m.Label}")) + ".";
        using (html.Open("svg", ("viewBox", $"0 0 {Number(Width)} {Number(Height)}"), ("class", "chart chart-timeline"), ("role", "img"),
            ("aria-labelledby", id + "-title " + id + "-desc"), ("id", id)))
        {
            html.Element("title", title, ("id", id + "-title"));
            html.Element("desc", description, ("id", id + "-desc"));
            html.Element("line", null, ("x1", Number(Left)), ("y1", Number(AxisY)), ("x2", Number(Right)), ("y2", Number(AxisY)), ("class", "timeline-axis"));
            html.Element("text", "detections", ("x", Number(Left - 8)), ("y", Number(LaneY[TimelineLane.Detection] + 4)), ("text-anchor", "end"), ("class", "timeline-lane"));
            html.Element("text", "responses", ("x", Number(Left - 8)), ("y", Number(LaneY[TimelineLane.Response] + 4)), ("text-anchor", "end"), ("class", "timeline-lane"));
            if (ordered.Count == 0)
            {
                return;
            }
            var (start, end) = (ordered[0].At, ordered[^1].At);
            html.Element("text", Time(start), ("x", Number(Left)), ("y", Number(Height - 6)), ("text-anchor", "start"), ("class", "timeline-time"));
            if (end > start)
            {
                html.Element("text", Time(end), ("x", Number(Right)), ("y", Number(Height - 6)), ("text-anchor", "end"), ("class", "timeline-time"));
            }
            var milestone = 0;
            foreach (var group in Group(ordered))
            {
                var x = Number(group.X);
                var y = LaneY[group.Lane];
                var last = group.Marks[^1];
                var tooltip = string.Join("\n", group.Marks.Select(m => $"{Time(m.At)} {m.Label}"));
                switch (group.Lane)
                {
                    case TimelineLane.Milestone:
                        // Labels alternate above the axis so milestones close in time do not overwrite each other.
                        var labelY = AxisY - (milestone % 2 == 0 ? 16 : 40);
                        html.Element("line", null, ("x1", x), ("y1", Number(labelY + 4)), ("x2", x), ("y2", Number(AxisY)), ("class", "timeline-stem"));
                        html.Element("text", string.Join(" · ", group.Marks.Select(m => m.Label).Distinct()), ("x", x), ("y", Number(labelY)),
                            ("text-anchor", group.X < Left + 60 ? "start" : group.X > Right - 60 ? "end" : "middle"), ("class", "timeline-label"));
                        using (html.Open("circle", ("cx", x), ("cy", Number(y)), ("r", "7"), ("class", "timeline-milestone tone-" + last.Tone)))
                        {
                            html.Element("title", tooltip);
                        }
                        milestone++;
                        break;
                    case TimelineLane.Detection:
                        using (html.Open("circle", ("cx", x), ("cy", Number(y)), ("r", "4"), ("class", "timeline-mark tone-" + last.Tone)))
                        {
                            html.Element("title", tooltip);
                        }
                        break;
                    default:
                        using (html.Open("rect", ("x", Number(group.X - 4)), ("y", Number(y - 4)), ("width", "8"), ("height", "8"),
                            ("class", "timeline-mark tone-" + last.Tone)))
                        {
                            html.Element("title", tooltip);
                        }
                        break;
                }
                if (group.Lane != TimelineLane.Milestone && group.Marks.Count > 1)
                {
                    html.Element("text", "×" + group.Marks.Count.ToString(CultureInfo.InvariantCulture), ("x", Number(group.X + 7)), ("y", Number(y + 4)),
                        ("class", "timeline-count"));
                }
            }
        }
    }

    /// <summary>Marks of one lane that land within <see cref="MergeDistance"/> of each other, drawn as one mark.</summary>
    public sealed record MarkGroup(TimelineLane Lane, double X, IReadOnlyList<TimelineMark> Marks);

    /// <summary>Marks closer than this on the axis are drawn as one, so simultaneous events (detected and contained by the playbook) stay legible.</summary>
    public const double MergeDistance = 12;

    /// <summary>Groups each lane's marks, in time order, so no two drawn marks of a lane are closer than <see cref="MergeDistance"/>.</summary>
    public static IReadOnlyList<MarkGroup> Group(IReadOnlyList<TimelineMark> marks)
    {
        var ordered = marks.OrderBy(m => m.At).ToList();
        if (ordered.Count == 0)
        {
            return [];
        }
        var (start, end) = (ordered[0].At, ordered[^1].At);
        var groups = new List<MarkGroup>();
        foreach (var lane in Enum.GetValues<TimelineLane>())
        {
            var current = new List<TimelineMark>();
            var groupX = 0.0;
            foreach (var mark in ordered.Where(m => m.Lane == lane))
            {
                var x = X(mark.At, start, end);
                if (current.Count > 0 && x - groupX > MergeDistance)
                {
                    groups.Add(new MarkGroup(lane, groupX, current));
                    current = [];
                }
                if (current.Count == 0)
                {
                    groupX = x;
                }
                current.Add(mark);
            }
            if (current.Count > 0)
            {
                groups.Add(new MarkGroup(lane, groupX, current));
            }
        }
        return groups;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Number(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);
}
