using System.Net;
using Fleetward.Agent.Tuf;

namespace Fleetward.Agent.Tests.Tuf;

public class HttpTufRepositoryFetcherTests
{
    private sealed class RecordingHandler(HttpStatusCode status) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            return Task.FromResult(new HttpResponseMessage(status) { Content = new ByteArrayContent([1, 2]) });
        }
    }

    [Fact]
    public async Task Joins_base_urls_and_escapes_each_path_segment()
    {
        var handler = new RecordingHandler(HttpStatusCode.OK);
        var fetcher = new HttpTufRepositoryFetcher(new HttpClient(handler), new Uri("http://repo.test/tuf/metadata"), new Uri("http://repo.test/tuf/targets"));
        await using (await fetcher.OpenMetadataAsync("2.root.json", default)) { }
        await using (await fetcher.OpenTargetAsync("fw/ab12.my image.bin", default)) { }
        await using (await fetcher.OpenMetadataAsync("3.team/security.json", default)) { }
        Assert.Equal("http://repo.test/tuf/metadata/2.root.json", handler.Requests[0].AbsoluteUri);
        Assert.Equal("http://repo.test/tuf/targets/fw/ab12.my%20image.bin", handler.Requests[1].AbsoluteUri);
        Assert.Equal("http://repo.test/tuf/metadata/3.team%2Fsecurity.json", handler.Requests[2].OriginalString);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task Missing_files_are_null_so_the_root_loop_ends(HttpStatusCode status)
    {
        var fetcher = new HttpTufRepositoryFetcher(new HttpClient(new RecordingHandler(status)), new Uri("http://repo.test/m/"));
        Assert.Null(await fetcher.OpenMetadataAsync("9.root.json", default));
    }

    [Fact]
    public async Task Server_errors_are_not_mistaken_for_missing_files()
    {
        var fetcher = new HttpTufRepositoryFetcher(new HttpClient(new RecordingHandler(HttpStatusCode.InternalServerError)), new Uri("http://repo.test/m/"));
        await Assert.ThrowsAsync<HttpRequestException>(() => fetcher.OpenMetadataAsync("timestamp.json", default));
    }

    [Fact]
    public async Task Targets_need_a_target_base_url()
    {
        var fetcher = new HttpTufRepositoryFetcher(new HttpClient(new RecordingHandler(HttpStatusCode.OK)), new Uri("http://repo.test/m/"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => fetcher.OpenTargetAsync("a.bin", default));
    }
}
