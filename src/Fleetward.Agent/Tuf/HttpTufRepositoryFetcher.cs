using System.Net;

namespace Fleetward.Agent.Tuf;

/// <summary>Fetches metadata and targets over HTTP(S) from a metadata base URL and a target base URL.</summary>
public sealed class HttpTufRepositoryFetcher : ITufRepositoryFetcher
{
    private readonly HttpClient _http;
    private readonly Uri _metadataBase;
    private readonly Uri? _targetBase;

    /// <param name="http">A client the caller configures (mutual TLS, proxies); it is not disposed here.</param>
    public HttpTufRepositoryFetcher(HttpClient http, Uri metadataBaseUrl, Uri? targetBaseUrl = null)
    {
        _http = http;
        _metadataBase = WithTrailingSlash(metadataBaseUrl);
        _targetBase = targetBaseUrl is null ? null : WithTrailingSlash(targetBaseUrl);
    }

    /// <summary>A metadata file name is one URL segment: a delegated role name containing "/" is escaped whole, as python-tuf does.</summary>
    public Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken) =>
        OpenAsync(_metadataBase, Uri.EscapeDataString(fileName), cancellationToken);

    /// <summary>A target path keeps its directories: each segment is escaped on its own.</summary>
    public Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken) =>
        OpenAsync(_targetBase ?? throw new InvalidOperationException("no target base URL configured"),
            string.Join('/', repositoryPath.Split('/').Select(Uri.EscapeDataString)), cancellationToken);

    private async Task<Stream?> OpenAsync(Uri baseUrl, string relative, CancellationToken cancellationToken)
    {
        var response = await _http.GetAsync(new Uri(baseUrl, relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        // Repositories answer a missing next root with 404 (or 403 on some object stores); both end the rotation loop.
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            response.Dispose();
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
