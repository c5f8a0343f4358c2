using System.Diagnostics.Metrics;
using Fleetward.Server.Metrics;

namespace Fleetward.Server.Tests.Metrics;

public sealed class PrometheusExporterTests
{
    // Each test uses its own meter name, so exporters of tests running in parallel do not see each other.
    private static (Meter Meter, PrometheusExporter Exporter) Create(string test)
    {
        var name = "Fleetward.Test." + test + "." + Guid.NewGuid().ToString("N");
        var meter = new Meter(name);
        return (meter, new PrometheusExporter(null, n => n == name));
    }

    [Fact]
    public void Counters_accumulate_per_label_set_and_end_in_total()
    {
        var (meter, exporter) = Create("counter");
        using var _ = meter;
        using var __ = exporter;
        var counter = meter.CreateCounter<long>("fleetward.jobs.done", unit: "{job}", description: "Jobs done.");
        counter.Add(2, new KeyValuePair<string, object?>("queue", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("queue", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("queue", "b"));

        Assert.Equal(
            "# HELP fleetward_jobs_done_total Jobs done.\n" +
            "# TYPE fleetward_jobs_done_total counter\n" +
            "fleetward_jobs_done_total{queue=\"a\"} 5\n" +
            "fleetward_jobs_done_total{queue=\"b\"} 1\n",
            exporter.Scrape());
    }

    [Fact]
    public void Histograms_have_cumulative_buckets_with_inf_sum_and_count()
    {
        var (meter, exporter) = Create("histogram");
        using var _ = meter;
        using var __ = exporter;
        var histogram = meter.CreateHistogram<double>("fleetward.wait", unit: "s", description: "Wait time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        histogram.Record(0.05);
        histogram.Record(0.1);
        histogram.Record(0.5);
        histogram.Record(7);

        Assert.Equal(
            "# HELP fleetward_wait_seconds Wait time.\n" +
            "# TYPE fleetward_wait_seconds histogram\n" +
            "fleetward_wait_seconds_bucket{le=\"0.1\"} 2\n" +
            "fleetward_wait_seconds_bucket{le=\"1\"} 3\n" +
            "fleetward_wait_seconds_bucket{le=\"+Inf\"} 4\n" +
            "fleetward_wait_seconds_sum 7.65\n" +
            "fleetward_wait_seconds_count 4\n",
            exporter.Scrape());
    }

    [Fact]
    public void Gauges_report_the_last_observation_and_up_down_counters_their_sum()
    {
        var (meter, exporter) = Create("gauge");
        using var _ = meter;
        using var __ = exporter;
        var temperature = 21.5;
        meter.CreateObservableGauge("fleetward.temperature", () => temperature, unit: "Cel", description: "Temperature.");
        var inFlight = meter.CreateUpDownCounter<int>("fleetward.in_flight", description: "In flight.");
        inFlight.Add(3);
        inFlight.Add(-1);
        exporter.Scrape();
        temperature = 19;

        var text = exporter.Scrape();
        Assert.Contains("# TYPE fleetward_temperature_Cel gauge\nfleetward_temperature_Cel 19\n", text);
        Assert.Contains("# TYPE fleetward_in_flight gauge\nfleetward_in_flight 2\n", text);
    }

    [Fact]
    public void Label_values_are_escaped_and_label_names_sanitised()
    {
        var (meter, exporter) = Create("escape");
        using var _ = meter;
        using var __ = exporter;
        meter.CreateCounter<long>("fleetward.odd", description: "Line one\nback\\slash")
            .Add(1, new KeyValuePair<string, object?>("http.route", "a\"b\\c\nd"), new KeyValuePair<string, object?>("le", "x"));

        var text = exporter.Scrape();
        Assert.Contains("# HELP fleetward_odd_total Line one\\nback\\\\slash\n", text);
        Assert.Contains("fleetward_odd_total{http_route=\"a\\\"b\\\\c\\nd\"} 1\n", text);
    }

    [Fact]
    public void Meters_outside_the_scope_are_not_exported()
    {
        var (meter, exporter) = Create("scope");
        using var _ = meter;
        using var __ = exporter;
        using var other = new Meter("Fleetward.Test.other." + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("fleetward.elsewhere").Add(1);

        Assert.DoesNotContain("elsewhere", exporter.Scrape());
    }

    [Theory]
    [InlineData("http.server.request.duration", "s", false, "http_server_request_duration_seconds")]
    [InlineData("fleetward.requests", "{request}", true, "fleetward_requests_total")]
    [InlineData("fleetward.requests_total", null, true, "fleetward_requests_total")]
    [InlineData("9lives", "By", false, "_9lives_bytes")]
    [InlineData("a--b", "ms", false, "a_b_milliseconds")]
    public void Metric_names_are_sanitised_with_unit_and_counter_suffixes(string name, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(name, unit, counter));

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.25, "0.25")]
    [InlineData(1e21, "1E+21")]
    public void Values_use_the_exposition_spelling(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.FormatValue(value));
}
