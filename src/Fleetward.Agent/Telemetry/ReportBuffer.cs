using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Fleetward.Agent.Telemetry;

/// <summary>Where a reader stands in a <see cref="ReportBuffer"/>: a segment number and a byte offset in it.</summary>
public readonly record struct ReportPosition(long Segment, long Offset) : IComparable<ReportPosition>
{
    public int CompareTo(ReportPosition other) =>
        Segment != other.Segment ? Segment.CompareTo(other.Segment) : Offset.CompareTo(other.Offset);
}

/// <summary>One buffered report and the position just after it (acknowledge that to consume it).</summary>
public sealed record BufferedReport(byte[] Payload, ReportPosition Next);

/// <summary>
/// Holds telemetry reports on disk while the server is unreachable (issue 7, device item 2), within a byte
/// cap: append-only segment files, each record framed as length, check value and payload; when the cap is
/// reached the oldest segment is dropped. After a crash a torn or corrupt tail is cut off and everything
/// before it is still read; a reader's progress is kept in a cursor file, so acknowledged reports are not
/// sent twice.
/// </summary>
public sealed class ReportBuffer
{
    private const int HeaderBytes = 8;
    private const string SegmentSuffix = ".seg";
    private readonly string directory;
    private readonly long capacityBytes;
    private readonly long segmentBytes;
    private readonly string cursorFile;
    private readonly SortedDictionary<long, long> segments = new();
    private readonly Lock gate = new();
    private ReportPosition cursor;

    public ReportBuffer(string directory, long capacityBytes, long segmentBytes)
    {
        if (segmentBytes <= HeaderBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(segmentBytes), segmentBytes, "segment must hold at least one record header");
        }
        if (capacityBytes < segmentBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "capacity must hold at least one segment");
        }
        this.directory = directory;
        this.capacityBytes = capacityBytes;
        this.segmentBytes = segmentBytes;
        cursorFile = Path.Combine(directory, "cursor");
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(directory, "*" + SegmentSuffix))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                segments[number] = new FileInfo(file).Length;
            }
        }
        if (segments.Count > 0)
        {
            CutTornTail(segments.Keys.Last());
        }
        cursor = LoadCursor();
        // A crash between saving the cursor and deleting used-up segments leaves them behind.
        foreach (var consumed in segments.Keys.Where(s => s < cursor.Segment).ToList())
        {
            DeleteSegment(consumed);
        }
    }

    /// <summary>Bytes on disk in segment files.</summary>
    public long SizeBytes
    {
        get
        {
            lock (gate)
            {
                return segments.Values.Sum();
            }
        }
    }

    /// <summary>Unacknowledged reports dropped to keep within the cap since this buffer was opened.</summary>
    public long DroppedReports { get; private set; }

    public void Append(ReadOnlySpan<byte> report)
    {
        var recordBytes = HeaderBytes + (long)report.Length;
        if (recordBytes > segmentBytes)
        {
            throw new ArgumentException($"report: {report.Length} bytes exceed the segment size {segmentBytes} less the {HeaderBytes}-byte header", nameof(report));
        }
        var record = new byte[recordBytes];
        BinaryPrimitives.WriteInt32LittleEndian(record, report.Length);
        CheckValue(report).CopyTo(record.AsSpan(4));
        report.CopyTo(record.AsSpan(HeaderBytes));
        lock (gate)
        {
            var current = segments.Count == 0 ? (long?)null : segments.Keys.Last();
            if (current is null || segments[current.Value] + recordBytes > segmentBytes)
            {
                current = (current ?? cursor.Segment - 1) + 1;
                segments[current.Value] = 0;
            }
            using (var stream = new FileStream(SegmentPath(current.Value), FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                stream.Write(record);
                stream.Flush(flushToDisk: true);
            }
            if (segments[current.Value] == 0)
            {
                DurableFile.SyncDirectory(directory);
            }
            segments[current.Value] += recordBytes;
            while (segments.Values.Sum() > capacityBytes)
            {
                DropOldest();
            }
        }
    }

    /// <summary>The oldest unacknowledged reports, at most <paramref name="maxCount"/> and <paramref name="maxBytes"/> of payload (at least one).</summary>
    public IReadOnlyList<BufferedReport> ReadBatch(int maxCount, long maxBytes)
    {
        lock (gate)
        {
            var batch = new List<BufferedReport>();
            long bytes = 0;
            var position = cursor;
            foreach (var segment in segments.Keys.Where(s => s >= cursor.Segment))
            {
                var offset = segment == position.Segment ? position.Offset : 0;
                foreach (var (payload, next) in ReadRecords(segment, offset))
                {
                    if (batch.Count == maxCount || (batch.Count > 0 && bytes + payload.Length > maxBytes))
                    {
                        return batch;
                    }
                    batch.Add(new BufferedReport(payload, new ReportPosition(segment, next)));
                    bytes += payload.Length;
                }
                position = new ReportPosition(segment + 1, 0);
            }
            return batch;
        }
    }

    /// <summary>Consumes every report up to <paramref name="last"/> (the server accepted them) and deletes used-up segments.</summary>
    public void Acknowledge(BufferedReport last)
    {
        lock (gate)
        {
            if (last.Next.CompareTo(cursor) <= 0)
            {
                return;
            }
            cursor = last.Next;
            DurableFile.WriteAllText(cursorFile, $"{cursor.Segment} {cursor.Offset}\n");
            var newest = segments.Keys.Last();
            foreach (var segment in segments.Keys.Where(s => s < cursor.Segment || (s == cursor.Segment && s != newest && cursor.Offset >= segments[s])).ToList())
            {
                DeleteSegment(segment);
            }
        }
    }

    private IEnumerable<(byte[] Payload, long Next)> ReadRecords(long segment, long offset)
    {
        var length = segments[segment];
        using var stream = new FileStream(SegmentPath(segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = offset;
        var header = new byte[HeaderBytes];
        while (stream.Position + HeaderBytes <= length)
        {
            stream.ReadExactly(header);
            var size = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (size < 0 || stream.Position + size > length)
            {
                yield break;
            }
            var payload = new byte[size];
            stream.ReadExactly(payload);
            if (!CheckValue(payload).SequenceEqual(header.AsSpan(4)))
            {
                yield break;
            }
            yield return (payload, stream.Position);
        }
    }

    /// <summary>Cuts the last segment after its last intact record: what a crash mid-append leaves behind.</summary>
    private void CutTornTail(long segment)
    {
        long intact = 0;
        foreach (var (_, next) in ReadRecords(segment, 0))
        {
            intact = next;
        }
        if (intact < segments[segment])
        {
            using var stream = new FileStream(SegmentPath(segment), FileMode.Open, FileAccess.Write);
            stream.SetLength(intact);
            stream.Flush(flushToDisk: true);
            segments[segment] = intact;
        }
    }

    private void DropOldest()
    {
        var oldest = segments.Keys.First();
        if (oldest >= cursor.Segment)
        {
            var from = oldest == cursor.Segment ? cursor.Offset : 0;
            DroppedReports += ReadRecords(oldest, from).Count();
        }
        DeleteSegment(oldest);
        if (cursor.Segment <= oldest)
        {
            cursor = new ReportPosition(oldest + 1, 0);
        }
    }

    private void DeleteSegment(long segment)
    {
        File.Delete(SegmentPath(segment));
        segments.Remove(segment);
        DurableFile.SyncDirectory(directory);
    }

    private ReportPosition LoadCursor()
    {
        var first = segments.Count == 0 ? 0 : segments.Keys.First();
        if (!File.Exists(cursorFile))
        {
            return new ReportPosition(first, 0);
        }
        var parts = File.ReadAllText(cursorFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new FormatException($"{cursorFile}: expected 'segment offset'");
        }
        // A cursor into a segment dropped meanwhile moves to the oldest segment still present.
        return segment < first ? new ReportPosition(first, 0) : new ReportPosition(segment, offset);
    }

    private string SegmentPath(long segment) =>
        Path.Combine(directory, segment.ToString("D20", CultureInfo.InvariantCulture) + SegmentSuffix);

    private static byte[] CheckValue(ReadOnlySpan<byte> payload) => SHA256.HashData(payload)[..4];
}
