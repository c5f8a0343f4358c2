using System.Net;
using System.Net.Sockets;

namespace Fleetward.Integration.Tests.Tuf;

/// <summary>A read-only HTTP server on 127.0.0.1 serving files from a dictionary, standing in for a TUF mirror.</summary>
internal sealed class LoopbackStaticServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LoopbackStaticServer(Func<string, byte[]?> files)
    {
        Files = files;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                BaseUrl = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public Func<string, byte[]?> Files { get; set; }
    public Uri BaseUrl { get; } = null!;
    public List<string> Requests { get; } = [];

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
            lock (Requests) Requests.Add(path);
            var body = Files(path);
            context.Response.StatusCode = body is null ? 404 : 200;
            if (body is not null)
            {
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
            }
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        // One Close only: the managed HttpListener unregisters its prefixes on Stop and again on Close, and the
        // second unregistration re-binds the port, which a parallel test may already have taken.
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
