using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Cli.Commands;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Configuration;
using Fleetward.Server.Options;
using Fleetward.Storage;
using Fleetward.Trust.Notes;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fleetward.Server.Tests.Audit;

/// <summary>
/// A real server with a throw-away log key over SQLite or PostgreSQL (FLEETWARD_TEST_POSTGRES, set by scripts/test),
/// plus raw SQL access to its database for tampering the way an attacker with database access would.
/// </summary>
public sealed class AuditServer : IAsyncDisposable
{
    public const string Origin = "audit-test.example/fleetward-audit";

    private readonly DirectoryInfo directory;
    private readonly string? postgresDatabase;

    private AuditServer(string engine, DirectoryInfo directory, string? postgresDatabase, IFleetStore store, FleetwardServer server, X509Certificate2 certificate, Ed25519NoteSigner signer)
    {
        Engine = engine;
        this.directory = directory;
        this.postgresDatabase = postgresDatabase;
        Store = store;
        Server = server;
        Certificate = certificate;
        Signer = signer;
    }

    public string Engine { get; }

    public IFleetStore Store { get; }

    public FleetwardServer Server { get; }

    public X509Certificate2 Certificate { get; }

    public Ed25519NoteSigner Signer { get; }

    public string AdminToken { get; private set; } = "";

    public string AuditorToken { get; private set; } = "";

    public string Directory => directory.FullName;

    public static async Task<AuditServer> StartAsync(string engine)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fleetward-audit-test-");
        string? database = null;
        IFleetStore store;
        if (engine == "postgres")
        {
            database = "fw_audit_" + Guid.NewGuid().ToString("N")[..16];
            await PostgresAdminAsync($"CREATE DATABASE {database}");
            store = await FleetStores.OpenPostgresAsync(PostgresConnectionString(database));
        }
        else
        {
            store = await FleetStores.OpenSqliteAsync(Path.Combine(directory.FullName, "fleetward.db"));
        }
        var certificate = OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []);
        var signer = Ed25519NoteSigner.Generate(Origin);
        var server = FleetwardServer.Build(
            new ServerOptions
            {
                OperatorUrl = new Uri("https://127.0.0.1:0"),
                DeviceUrl = new Uri("https://127.0.0.1:0"),
                OperatorCertificate = certificate,
                AuditLogSigner = signer,
                AuditCheckpointInterval = TimeSpan.FromHours(1),
            },
            store,
            new FleetwardServerSetup { ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None) });
        await server.StartAsync();
        var audit = new AuditServer(engine, directory, database, store, server, certificate, signer);
        var issuer = new ApiTokenIssuer(store, TimeProvider.System);
        audit.AdminToken = (await issuer.IssueAsync("audit test admin", OperatorRole.Admin, null, "test", default)).PlainText;
        audit.AuditorToken = (await issuer.IssueAsync("audit test auditor", OperatorRole.Auditor, null, "test", default)).PlainText;
        return audit;
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient(TestServer.PinnedHandler(Certificate)) { BaseAddress = Server.OperatorAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The client `fleetward audit verify` uses, as an auditor.</summary>
    public AuditApiClient AuditClient() => new(Client(AuditorToken));

    /// <summary>Appends audit entries the way operators do: token creations through the API.</summary>
    public async Task CreateTokensAsync(int count)
    {
        using var admin = Client(AdminToken);
        for (var i = 0; i < count; i++)
        {
            var response = await admin.PostAsync("/api/v1/tokens", new StringContent($$"""{"name":"load {{i}}","role":"auditor"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
    }

    public async Task<string> CheckpointAsync()
    {
        using var admin = Client(AdminToken);
        var response = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checkpoint").GetString()!;
    }

    /// <summary>Runs SQL straight against the database, bypassing Fleetward.</summary>
    public async Task ExecuteRawAsync(string sql)
    {
        if (postgresDatabase is not null)
        {
            await using var connection = new NpgsqlConnection(PostgresConnectionString(postgresDatabase));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
            return;
        }
        await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory.FullName, "fleetward.db")}");
        await sqlite.OpenAsync();
        await using var sqliteCommand = sqlite.CreateCommand();
        sqliteCommand.CommandText = sql;
        await sqliteCommand.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresAdminAsync($"DROP DATABASE IF EXISTS {postgresDatabase} WITH (FORCE)");
        }
        directory.Delete(recursive: true);
    }

    private static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("FLEETWARD_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("FLEETWARD_TEST_POSTGRES is not set: run the suite through scripts/test, which starts a throw-away PostgreSQL.");

    private static string PostgresConnectionString(string database) => new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = database }.ConnectionString;

    private static async Task PostgresAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresAdmin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
