using System.Globalization;
using System.Xml.Linq;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class SvgChartsTests
{
    private static XElement Render(Action<HtmlWriter> draw)
    {
        var html = new HtmlWriter();
        draw(html);
        return XElement.Parse(html.ToString());
    }

    private static double Number(XElement element, string attribute) =>
        double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    [Fact]
    public void Bar_lengths_are_proportional_to_values_and_the_largest_fills_the_track()
    {
        var svg = Render(html => SvgCharts.BarChart(html, "c", "Devices by model",
            [new ChartDatum("rover", 40), new ChartDatum("drone", 10), new ChartDatum("arm", 0)]));
        var bars = svg.Elements("rect").Where(r => r.Attribute("class")!.Value.Contains("chart-bar-fill")).ToList();
        Assert.Equal(3, bars.Count);
        var track = SvgCharts.BarWidth - SvgCharts.BarLabelWidth - SvgCharts.BarValueWidth;
        Assert.Equal(track, Number(bars[0], "width"), 3);
        Assert.Equal(track / 4, Number(bars[1], "width"), 3);
        Assert.Equal(0, Number(bars[2], "width"));
        Assert.Equal(3 * SvgCharts.BarRowHeight, double.Parse(svg.Attribute("viewBox")!.Value.Split(' ')[3], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Charts_are_accessible_images_whose_title_and_description_name_every_value()
    {
        var svg = Render(html => SvgCharts.BarChart(html, "models", "Devices by model", [new ChartDatum("rover", 40), new ChartDatum("drone", 10)]));
        Assert.Equal("img", svg.Attribute("role")!.Value);
        Assert.Equal("models-title models-desc", svg.Attribute("aria-labelledby")!.Value);
        Assert.Equal("Devices by model", svg.Element("title")!.Value);
        Assert.Equal("rover: 40; drone: 10.", svg.Element("desc")!.Value);
    }

    [Fact]
    public void Labels_are_encoded_inside_svg()
    {
        var html = new HtmlWriter();
        SvgCharts.BarChart(html, "c", "t", [new ChartDatum("<script>x</script>", 1)]);
        Assert.DoesNotContain("<script>", html.ToString());
    }

    [Fact]
    public void Donut_segments_are_percentages_that_follow_each_other_from_twelve_o_clock()
    {
        var svg = Render(html => SvgCharts.Donut(html, "d", "States",
            [new ChartDatum("active", 3, "a"), new ChartDatum("pending", 0, "p"), new ChartDatum("quarantined", 1, "q")], "devices"));
        var segments = svg.Elements("circle").Where(c => c.Attribute("class")!.Value.Contains("chart-segment")).ToList();
        Assert.Equal(2, segments.Count);
        Assert.Equal("75 25", segments[0].Attribute("stroke-dasharray")!.Value);
        Assert.Equal(25, Number(segments[0], "stroke-dashoffset"));
        Assert.Equal("25 75", segments[1].Attribute("stroke-dasharray")!.Value);
        Assert.Equal(-50, Number(segments[1], "stroke-dashoffset"));
        Assert.Contains("tone-q", segments[1].Attribute("class")!.Value);
        Assert.Equal("4", svg.Elements("text").First().Value);
        Assert.Equal(100, 2 * Math.PI * SvgCharts.DonutRadius, 9);
    }

    [Fact]
    public void An_empty_donut_draws_only_its_track()
    {
        var svg = Render(html => SvgCharts.Donut(html, "d", "States", [new ChartDatum("active", 0)], "devices"));
        Assert.Single(svg.Elements("circle"));
        Assert.Equal("0", svg.Elements("text").First().Value);
    }

    [Fact]
    public void Sparkline_spans_the_width_and_maps_min_to_bottom_and_max_to_top()
    {
        var points = SvgCharts.SparklinePoints([5, 10, 0]);
        Assert.Equal(SvgCharts.SparklinePadding, points[0].X, 6);
        Assert.Equal(SvgCharts.SparklineWidth - SvgCharts.SparklinePadding, points[2].X, 6);
        Assert.Equal(SvgCharts.SparklinePadding, points[1].Y, 6);
        Assert.Equal(SvgCharts.SparklineHeight - SvgCharts.SparklinePadding, points[2].Y, 6);
        Assert.Equal(SvgCharts.SparklineHeight / 2, points[0].Y, 6);
    }

    [Fact]
    public void A_flat_or_single_value_sparkline_runs_through_the_middle()
    {
        Assert.All(SvgCharts.SparklinePoints([3, 3, 3]), p => Assert.Equal(SvgCharts.SparklineHeight / 2, p.Y));
        var single = Assert.Single(SvgCharts.SparklinePoints([7]));
        Assert.Equal(SvgCharts.SparklineWidth / 2, single.X);
    }

    [Fact]
    public void Sparkline_svg_describes_the_series()
    {
        var svg = Render(html => SvgCharts.Sparkline(html, "s", "Power draw (W)", [4, 9, 6]));
        Assert.Equal("3 values from 4 to 6; minimum 4, maximum 9.", svg.Element("desc")!.Value);
        Assert.Equal(3, svg.Element("polyline")!.Attribute("points")!.Value.Split(' ').Length);
    }

    [Fact]
    public void Sparkline_refuses_values_that_are_not_finite()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SvgCharts.Sparkline(new HtmlWriter(), "s", "t", [1, double.NaN]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.PositiveInfinity)]
    public void Chart_values_must_be_finite_and_not_negative(double value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ChartDatum("rover", value));
        Assert.Contains("rover", error.Message);
    }
}
