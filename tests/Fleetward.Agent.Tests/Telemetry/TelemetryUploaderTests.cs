using System.Text;
using System.Text.Json;
using Fleetward.Agent.Telemetry;
using Fleetward.Agent.Tests.Slots;

namespace Fleetward.Agent.Tests.Telemetry;

public sealed class TelemetryUploaderTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();
    private readonly Server server = new();
    private int sequence;

    public void Dispose() => directory.Dispose();

    private TelemetryUploader Uploader(int maxBatch = 100) => new(
        new TelemetryCollector(new TelemetryCollectorOptions(directory.Sub("state")), TimeProvider.System, new FixedRobotSensors(SensorReadings.None), new AgentEventCounters()),
        snapshot => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { n = sequence++, processes = snapshot.Processes.ProcessCount })),
        new ReportBuffer(directory.Sub("buffer"), 64 * 1024, 8 * 1024),
        server,
        new TelemetryUploadOptions(TimeSpan.FromMinutes(1), maxBatch),
        TimeProvider.System);

    [Fact]
    public async Task Reports_wait_on_disk_while_the_server_is_down_and_arrive_in_order_later()
    {
        server.Up = false;
        for (var i = 0; i < 5; i++)
        {
            var round = await Uploader().RoundAsync(default);
            Assert.Equal(new UploadRound(0, "connection refused"), round);
        }

        server.Up = true;
        var recovered = await Uploader(maxBatch: 2).RoundAsync(default);

        Assert.Equal(new UploadRound(6, null), recovered);
        Assert.Equal([2, 2, 2], server.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 6), server.Batches.SelectMany(b => b).Select(r => JsonDocument.Parse(r).RootElement.GetProperty("n").GetInt32()));
        Assert.Equal(new UploadRound(1, null), await Uploader().RoundAsync(default));
    }

    [Fact]
    public async Task Rejected_batch_is_kept_for_the_next_round()
    {
        server.Accept = false;
        Assert.Equal(new UploadRound(0, "server did not accept the batch"), await Uploader().RoundAsync(default));
        server.Accept = true;
        Assert.Equal(new UploadRound(2, null), await Uploader().RoundAsync(default));
    }

    private sealed class Server : ITelemetrySink
    {
        public bool Up { get; set; } = true;

        public bool Accept { get; set; } = true;

        public List<IReadOnlyList<byte[]>> Batches { get; } = [];

        public Task<bool> SendAsync(IReadOnlyList<byte[]> reports, CancellationToken cancellationToken)
        {
            if (!Up)
            {
                throw new HttpRequestException("connection refused");
            }
            if (Accept)
            {
                Batches.Add(reports);
            }
            return Task.FromResult(Accept);
        }
    }
}
