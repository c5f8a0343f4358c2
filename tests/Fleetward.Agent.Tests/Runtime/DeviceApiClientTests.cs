using System.Net;
using System.Text;
using Fleetward.Agent.Runtime;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Telemetry;

namespace Fleetward.Agent.Tests.Runtime;

public sealed class DeviceApiClientTests
{
    /// <summary>Answers every request with one canned response and keeps the request body.</summary>
    private sealed class CannedHandler(HttpStatusCode status, string body, string contentType = "application/json", TimeSpan? retryAfter = null) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string Path, string? ContentType, byte[] Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Requests.Add((request.Method, request.RequestUri!.AbsolutePath, request.Content?.Headers.ContentType?.MediaType, content));
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
            if (retryAfter is { } wait)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(wait);
            }
            return response;
        }
    }

    private static (DeviceApiClient Client, CannedHandler Handler) Client(HttpStatusCode status, string body, string contentType = "application/json", TimeSpan? retryAfter = null)
    {
        var handler = new CannedHandler(status, body, contentType, retryAfter);
        return (new DeviceApiClient(new HttpClient(handler) { BaseAddress = new Uri("https://fleet.test:8443/") }), handler);
    }

    [Fact]
    public async Task Check_in_sends_camel_case_json_and_reads_the_instruction()
    {
        var (client, handler) = Client(HttpStatusCode.OK,
            """{"instruction":{"kind":"install","rolloutId":"r1","target":{"name":"rel_2","version":"2.0.0","securityVersion":2,"channel":"stable"},"attempt":1,"rollbackToVersion":null,"reason":null}}""");

        var answer = await client.CheckInAsync(new CheckInReport(new InstalledSoftware("rel_1", "1.0.0", 1, "a"), "healthy", new AssignmentReport("r1", "downloading", 1)), default);

        Assert.Equal(new TargetView("rel_2", "2.0.0", 2, "stable"), answer.Instruction.Target);
        var request = Assert.Single(handler.Requests);
        Assert.Equal((HttpMethod.Post, "/device/v1/check-in", "application/json"), (request.Method, request.Path, request.ContentType));
        var json = Encoding.UTF8.GetString(request.Body);
        Assert.Contains("\"installed\":{\"releaseId\":\"rel_1\"", json);
        Assert.Contains("\"assignment\":{\"rolloutId\":\"r1\",\"phase\":\"downloading\",\"attempt\":1", json);
    }

    [Fact]
    public async Task A_problem_becomes_a_typed_error_naming_status_code_detail_and_field()
    {
        var (client, _) = Client(HttpStatusCode.BadRequest,
            """{"type":"https://fleetward.dev/problems/validation","title":"The request is not valid","status":400,"detail":"assignment.phase must be ...","code":"validation","field":"$.assignment.phase"}""",
            "application/problem+json");

        var error = await Assert.ThrowsAsync<DeviceApiException>(() => client.CheckInAsync(new CheckInReport(), default));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Equal("validation", error.Code);
        Assert.Equal("assignment.phase must be ...", error.Detail);
        Assert.Equal("$.assignment.phase", error.Field);
        Assert.Contains("check-in: 400 validation", error.Message);
    }

    [Fact]
    public async Task Rate_limiting_carries_the_retry_after()
    {
        var (client, _) = Client((HttpStatusCode)429, """{"status":429,"detail":"Wait 30 s","code":"rate-limited"}""", "application/problem+json", TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<DeviceApiException>(() => client.SendTelemetryAsync([[(byte)'{', (byte)'}']], default));

        Assert.Equal(("rate-limited", TimeSpan.FromSeconds(30)), (error.Code, error.RetryAfter));
    }

    [Fact]
    public async Task A_body_that_is_not_a_problem_still_gives_an_error_with_the_status_as_code()
    {
        var (client, _) = Client(HttpStatusCode.BadGateway, "<html>proxy error</html>", "text/html");

        var error = await Assert.ThrowsAsync<DeviceApiException>(() => client.GetCommandsAsync(default));

        Assert.Equal("http-502", error.Code);
        Assert.Contains("proxy error", error.Detail);
    }

    [Fact]
    public async Task Telemetry_joins_encoded_reports_into_one_batch_the_server_can_decode()
    {
        var (client, handler) = Client(HttpStatusCode.Accepted, """{"accepted":2,"stale":0}""");
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        TelemetryReport Report(long sequence) => new()
        {
            DeviceId = "robot-1", Sequence = sequence, SampledAt = now, IntervalSeconds = 60, CpuPercent = 1, MemoryUsedBytes = 1, MemoryTotalBytes = 2,
            Network = new NetworkCounters { BytesIn = 0, BytesOut = 0, PacketsIn = 0, PacketsOut = 0 }, ProcessCount = 1, UptimeSeconds = 1, BootCount = 0,
        };

        var receipt = await client.SendTelemetryAsync([TelemetryCodec.Encode(Report(4)), TelemetryCodec.Encode(Report(5))], default);

        Assert.Equal(new IngestReceipt(2, 0), receipt);
        var decoded = TelemetryCodec.DecodeBatch(Assert.Single(handler.Requests).Body, now, "robot-1");
        Assert.True(decoded.IsValid, decoded.Error?.ToString());
        Assert.Equal([4L, 5L], decoded.Value!.Reports.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Command_outcome_is_posted_to_the_command_and_a_204_is_success()
    {
        var (client, handler) = Client(HttpStatusCode.NoContent, "");

        await client.ReportCommandOutcomeAsync("cmd 1", new CommandOutcomeReport("completed", "isolation flag set"), default);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/device/v1/commands/cmd%201/outcome", request.Path);
        Assert.Equal("""{"status":"completed","detail":"isolation flag set"}""", Encoding.UTF8.GetString(request.Body));
    }
}
