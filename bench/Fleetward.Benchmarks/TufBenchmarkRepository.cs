using System.Net;
using System.Net.Sockets;
using Fleetward.Agent.Tuf;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Benchmarks;

/// <summary>
/// The repository every TUF benchmark measures: ECDSA P-256 root and targets keys, Ed25519 snapshot and timestamp keys
/// (the production key layout), consistent snapshots, one 1 MiB target with a security version.
/// </summary>
internal sealed class TufBenchmarkRepository : ITufRepositoryFetcher
{
    public const string TargetPath = "fw/robot.img";

    public TufBenchmarkRepository()
    {
        Now = DateTimeOffset.UtcNow;
        Target = new byte[1024 * 1024];
        Random.Shared.NextBytes(Target);
        Signers = new Dictionary<string, TufRoleSigners>
        {
            [TufRoles.Root] = new([EcdsaTufSigner.Generate()], 1),
            [TufRoles.Targets] = new([EcdsaTufSigner.Generate()], 1),
            [TufRoles.Snapshot] = new([Ed25519TufSigner.Generate()], 1),
            [TufRoles.Timestamp] = new([Ed25519TufSigner.Generate()], 1),
        };
        Builder = TufRepositoryBuilder.Initialize(Signers, Now);
        var info = TargetFileInfo.FromContent(Target, TargetSecurityVersion.Custom(1));
        Builder.AddTarget(TargetPath, info);
        Builder.Publish(Now);
        TargetFiles = info.RepositoryPaths(TargetPath, consistentSnapshot: true).ToDictionary(p => p, _ => Target);
    }

    public DateTimeOffset Now { get; }
    public byte[] Target { get; }
    public Dictionary<string, TufRoleSigners> Signers { get; }
    public TufRepositoryBuilder Builder { get; }
    public Dictionary<string, byte[]> TargetFiles { get; }

    public Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(Builder.MetadataFiles.TryGetValue(fileName, out var bytes) ? new MemoryStream(bytes, writable: false) : null);

    public Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(TargetFiles.TryGetValue(repositoryPath, out var bytes) ? new MemoryStream(bytes, writable: false) : null);

    /// <summary>Serves <c>metadata/NAME</c> and <c>targets/PATH</c> over HTTP on 127.0.0.1 until disposed.</summary>
    public IDisposable Serve(out Uri baseUrl)
    {
        var listener = new HttpListener();
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            baseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }
        listener.Prefixes.Add(baseUrl.AbsoluteUri);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
                var body = path.StartsWith("metadata/", StringComparison.Ordinal) ? Builder.MetadataFiles.GetValueOrDefault(path["metadata/".Length..])
                    : path.StartsWith("targets/", StringComparison.Ordinal) ? TargetFiles.GetValueOrDefault(path["targets/".Length..])
                    : null;
                context.Response.StatusCode = body is null ? 404 : 200;
                if (body is not null) await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
        return listener;
    }
}
