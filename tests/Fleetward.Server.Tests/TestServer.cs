using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Configuration;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Tests;

/// <summary>
/// A real server on 127.0.0.1 ephemeral ports over a throw-away SQLite database, with one token per
/// role and HTTP clients that pin the throw-away operator certificate.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly DirectoryInfo directory;
    private readonly Dictionary<OperatorRole, string> tokens = [];

    private TestServer(DirectoryInfo directory, IFleetStore store, FleetwardServer server, ManualClock clock, X509Certificate2 certificate)
    {
        this.directory = directory;
        Store = store;
        Server = server;
        Clock = clock;
        Certificate = certificate;
    }

    public IFleetStore Store { get; }

    public FleetwardServer Server { get; }

    public ManualClock Clock { get; }

    public X509Certificate2 Certificate { get; }

    public string DatabasePath => Path.Combine(directory.FullName, "fleetward.db");

    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static async Task<TestServer> StartAsync(IReadOnlyList<IServerModule>? modules = null, Action<IServiceCollection>? services = null)
    {
        var directory = Directory.CreateTempSubdirectory("fleetward-server-test-");
        var clock = new ManualClock(Start);
        var certificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []);
        var store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"), default, clock);
        var allModules = new List<IServerModule>(modules ?? []);
        if (services is not null)
        {
            allModules.Add(new ServicesModule(services));
        }
        var server = FleetwardServer.Build(
            new ServerOptions { OperatorUrl = new Uri("https://127.0.0.1:0"), DeviceUrl = new Uri("https://127.0.0.1:0"), OperatorCertificate = certificate },
            store,
            new FleetwardServerSetup { Time = clock, ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None), Modules = allModules });
        await server.StartAsync();
        var test = new TestServer(directory, store, server, clock, certificate);
        var issuer = new ApiTokenIssuer(store, clock);
        foreach (var role in OperatorRoles.All)
        {
            test.tokens[role] = (await issuer.IssueAsync("test " + role.ToName(), role, null, "test", default)).PlainText;
        }
        return test;
    }

    public string TokenFor(OperatorRole role) => tokens[role];

    /// <summary>An operator-listener client trusting exactly this server's certificate, optionally with a bearer token.</summary>
    public HttpClient OperatorClient(string? token = null)
    {
        var client = new HttpClient(PinnedHandler(Certificate)) { BaseAddress = Server.OperatorAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public HttpClient OperatorClient(OperatorRole role) => OperatorClient(TokenFor(role));

    public static SocketsHttpHandler PinnedHandler(X509Certificate2 pinned, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }
        return handler;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }

    /// <summary>Reads the audit log rows straight from SQLite (the port has no read side yet).</summary>
    public async Task<IReadOnlyList<(string Type, string Actor, string Subject, string Payload)>> AuditEntriesAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, actor, subject, payload FROM audit_entries ORDER BY idx";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return rows;
    }

    private sealed class ServicesModule(Action<IServiceCollection> configure) : IServerModule
    {
        public void ConfigureServices(IServiceCollection services, ServerOptions options) => configure(services);

        public void MapEndpoints(FleetwardRoutes routes)
        {
        }
    }
}

/// <summary>One server shared by the tests of a class (xunit class fixture), for tests that do not change shared state.</summary>
public abstract class TestServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    protected virtual IReadOnlyList<IServerModule> Modules => [];

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(Modules);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
