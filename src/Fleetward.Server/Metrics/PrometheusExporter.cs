using System.Diagnostics.Metrics;
using System.Text;

namespace Fleetward.Server.Metrics;

/// <summary>
/// Aggregates System.Diagnostics.Metrics measurements with a <see cref="MeterListener"/> and renders
/// them in the Prometheus text exposition format 0.0.4. Counters become counters (cumulative),
/// up-down counters and gauges become gauges, histograms become cumulative buckets with _sum and
/// _count. Only meters of the given scope (the server's <see cref="IMeterFactory"/>) are read.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Buckets for histograms that give no bucket advice (the Prometheus client default).</summary>
    public static readonly IReadOnlyList<double> DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener listener = new();
    private readonly Lock familiesGate = new();
    private readonly Dictionary<string, MetricFamily> families = new(StringComparer.Ordinal);
    // Read on every measurement, so lock-free; families change only when instruments come and go.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Instrument, MetricFamily> byInstrument = new();

    /// <param name="meterScope">Only meters created with this scope are exported (null: meters created without a scope).</param>
    /// <param name="meterFilter">Which of those meters to export, by name.</param>
    public PrometheusExporter(object? meterScope, Func<string, bool> meterFilter)
    {
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterScope) && meterFilter(instrument.Meter.Name) && Register(instrument))
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.MeasurementsCompleted = (instrument, state) => byInstrument.TryRemove(instrument, out _);
        listener.SetMeasurementEventCallback<byte>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<short>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<float>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<decimal>((i, v, t, _) => Record(i, (double)v, t));
        listener.Start();
    }

    /// <summary>Collects observable instruments and renders every family, sorted by name then labels.</summary>
    public string Scrape()
    {
        listener.RecordObservableInstruments();
        MetricFamily[] snapshot;
        lock (familiesGate)
        {
            snapshot = [.. families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];
        }
        var text = new StringBuilder();
        foreach (var family in snapshot)
        {
            family.WriteTo(text);
        }
        return text.ToString();
    }

    public void Dispose() => listener.Dispose();

    private bool Register(Instrument instrument)
    {
        var kind = KindOf(instrument);
        if (kind is null)
        {
            return false;
        }
        var name = PrometheusText.MetricName(instrument.Name, instrument.Unit, kind.Value is MetricKind.Counter or MetricKind.ObservedCounter);
        lock (familiesGate)
        {
            if (!families.TryGetValue(name, out var family))
            {
                family = new MetricFamily(name, instrument.Description ?? instrument.Name, kind.Value, BucketsOf(instrument));
                families.Add(name, family);
            }
            else if (family.Kind != kind.Value)
            {
                // Two instruments mapping to one name with different types cannot share a family; the first wins.
                return false;
            }
            byInstrument[instrument] = family;
        }
        return true;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (byInstrument.TryGetValue(instrument, out var family))
        {
            family.Record(value, LabelSet(tags));
        }
    }

    private static string LabelSet(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var pairs = new (string Name, string Value)[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            pairs[i] = (PrometheusText.LabelName(tags[i].Key), Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }
        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var text = new StringBuilder();
        string? previous = null;
        foreach (var (name, value) in pairs)
        {
            // "le" belongs to histogram buckets; two keys that sanitise to one label keep the first.
            if (name == "le" || name == previous)
            {
                continue;
            }
            previous = name;
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(name).Append("=\"").Append(PrometheusText.EscapeLabelValue(value)).Append('"');
        }
        return text.ToString();
    }

    private static MetricKind? KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>)) return MetricKind.Counter;
        if (definition == typeof(ObservableCounter<>)) return MetricKind.ObservedCounter;
        if (definition == typeof(UpDownCounter<>)) return MetricKind.SummedGauge;
        if (definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>) || definition == typeof(Gauge<>)) return MetricKind.Gauge;
        if (definition == typeof(Histogram<>)) return MetricKind.Histogram;
        return null;
    }

    private static double[] BucketsOf(Instrument instrument)
    {
        IReadOnlyList<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        return [.. (advised ?? DefaultBuckets).Where(double.IsFinite).Distinct().Order()];
    }

    private enum MetricKind
    {
        Counter,
        ObservedCounter,
        SummedGauge,
        Gauge,
        Histogram,
    }

    private sealed class MetricFamily(string name, string help, MetricKind kind, double[] buckets)
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, Series> series = new(StringComparer.Ordinal);

        public string Name { get; } = name;

        public MetricKind Kind { get; } = kind;

        public void Record(double value, string labels)
        {
            lock (gate)
            {
                if (!series.TryGetValue(labels, out var s))
                {
                    s = new Series(Kind == MetricKind.Histogram ? new long[buckets.Length] : null);
                    series.Add(labels, s);
                }
                switch (Kind)
                {
                    case MetricKind.Counter:
                    case MetricKind.SummedGauge:
                        s.Value += value;
                        break;
                    case MetricKind.ObservedCounter:
                    case MetricKind.Gauge:
                        s.Value = value;
                        break;
                    case MetricKind.Histogram:
                        var index = Array.BinarySearch(buckets, value);
                        // An exact match counts in its own bucket (le is inclusive); otherwise the first larger bound.
                        index = index >= 0 ? index : ~index;
                        if (index < buckets.Length)
                        {
                            s.BucketCounts![index]++;
                        }
                        s.Sum += value;
                        s.Count++;
                        break;
                }
            }
        }

        public void WriteTo(StringBuilder text)
        {
            lock (gate)
            {
                if (series.Count == 0)
                {
                    return;
                }
                var type = Kind switch
                {
                    MetricKind.Counter or MetricKind.ObservedCounter => "counter",
                    MetricKind.Histogram => "histogram",
                    _ => "gauge",
                };
                text.Append("# HELP ").Append(Name).Append(' ').Append(PrometheusText.EscapeHelp(help)).Append('\n');
                text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, s) in series.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (Kind != MetricKind.Histogram)
                    {
                        Sample(text, Name, labels, s.Value);
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        cumulative += s.BucketCounts![i];
                        Sample(text, Name + "_bucket", Join(labels, "le=\"" + PrometheusText.FormatValue(buckets[i]) + "\""), cumulative);
                    }
                    Sample(text, Name + "_bucket", Join(labels, "le=\"+Inf\""), s.Count);
                    Sample(text, Name + "_sum", labels, s.Sum);
                    Sample(text, Name + "_count", labels, s.Count);
                }
            }
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static void Sample(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }
            text.Append(' ').Append(PrometheusText.FormatValue(value)).Append('\n');
        }
    }

    private sealed class Series(long[]? bucketCounts)
    {
        public double Value { get; set; }

        public double Sum { get; set; }

        public long Count { get; set; }

        public long[]? BucketCounts { get; } = bucketCounts;
    }
}
