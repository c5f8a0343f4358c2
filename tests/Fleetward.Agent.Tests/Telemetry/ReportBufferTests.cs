using System.Text;
using Fleetward.Agent.Telemetry;
using Fleetward.Agent.Tests.Slots;

namespace Fleetward.Agent.Tests.Telemetry;

public sealed class ReportBufferTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private ReportBuffer Open(long capacity = 10_000, long segment = 1_000) => new(directory.Path, capacity, segment);

    private static byte[] Report(int number) => Encoding.UTF8.GetBytes($"report-{number:D4}-" + new string('x', 40));

    private static List<string> Texts(IEnumerable<BufferedReport> reports) => reports.Select(r => Encoding.UTF8.GetString(r.Payload)).ToList();

    [Fact]
    public void Reads_back_in_order_across_segments()
    {
        var buffer = Open();
        for (var i = 0; i < 50; i++)
        {
            buffer.Append(Report(i));
        }
        var batch = buffer.ReadBatch(100, long.MaxValue);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Encoding.UTF8.GetString(Report(i))), Texts(batch));
        Assert.True(Directory.GetFiles(directory.Path, "*.seg").Length > 1);
    }

    [Fact]
    public void Acknowledged_reports_are_not_read_again_after_reopening()
    {
        var buffer = Open();
        for (var i = 0; i < 50; i++)
        {
            buffer.Append(Report(i));
        }
        buffer.Acknowledge(buffer.ReadBatch(30, long.MaxValue)[^1]);

        var reopened = Open();
        var rest = reopened.ReadBatch(100, long.MaxValue);
        Assert.Equal(Encoding.UTF8.GetString(Report(30)), Texts(rest)[0]);
        Assert.Equal(20, rest.Count);
        reopened.Acknowledge(rest[^1]);
        Assert.Empty(Open().ReadBatch(100, long.MaxValue));
        Assert.Single(Directory.GetFiles(directory.Path, "*.seg"));
    }

    [Fact]
    public void Batches_are_bounded_by_count_and_bytes_but_hold_at_least_one()
    {
        var buffer = Open();
        for (var i = 0; i < 10; i++)
        {
            buffer.Append(Report(i));
        }
        Assert.Equal(3, buffer.ReadBatch(3, long.MaxValue).Count);
        Assert.Equal(2, buffer.ReadBatch(100, Report(0).Length * 2 + 1).Count);
        Assert.Single(buffer.ReadBatch(100, 1));
    }

    [Fact]
    public void Cap_drops_the_oldest_reports_first()
    {
        var buffer = Open(capacity: 2_000, segment: 500);
        for (var i = 0; i < 200; i++)
        {
            buffer.Append(Report(i));
        }
        Assert.True(buffer.SizeBytes <= 2_000);
        var kept = Texts(buffer.ReadBatch(1_000, long.MaxValue));
        Assert.Equal(Encoding.UTF8.GetString(Report(199)), kept[^1]);
        var first = int.Parse(kept[0].Substring(7, 4));
        Assert.Equal(Enumerable.Range(first, 200 - first).Select(i => Encoding.UTF8.GetString(Report(i))), kept);
        Assert.Equal(first, buffer.DroppedReports);
    }

    [Fact]
    public void Torn_tail_from_a_crash_is_cut_and_appending_continues()
    {
        var buffer = Open();
        for (var i = 0; i < 3; i++)
        {
            buffer.Append(Report(i));
        }
        var segment = Directory.GetFiles(directory.Path, "*.seg").Single();
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([60, 0, 0, 0, 1, 2, 3, 4, 5]);
        }

        var reopened = Open();
        Assert.Equal(3, reopened.ReadBatch(100, long.MaxValue).Count);
        reopened.Append(Report(3));
        Assert.Equal(Encoding.UTF8.GetString(Report(3)), Texts(Open().ReadBatch(100, long.MaxValue))[^1]);
    }

    [Fact]
    public void Corrupt_record_ends_the_readable_part()
    {
        var buffer = Open();
        for (var i = 0; i < 3; i++)
        {
            buffer.Append(Report(i));
        }
        var segment = Directory.GetFiles(directory.Path, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^3] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        Assert.Equal(2, Open().ReadBatch(100, long.MaxValue).Count);
    }

    [Fact]
    public void Report_larger_than_a_segment_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Open(segment: 100).Append(new byte[93]));
        Assert.Equal("report", error.ParamName);
    }

    [Fact]
    public void Capacity_below_one_segment_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Open(capacity: 100, segment: 200));
}
