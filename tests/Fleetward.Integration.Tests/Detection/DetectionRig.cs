using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Detection;
using Fleetward.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fleetward.Integration.Tests.Detection;

/// <summary>A clock that moves only when a test says so.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Which real store a detection test runs on.</summary>
public enum TestEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The server's detection services wired exactly as the server wires them (AddDetection), over a real throw-away
/// store: SQLite in a temp directory, or a fresh database on the PostgreSQL of FLEETWARD_TEST_POSTGRES.
/// </summary>
public sealed class DetectionRig : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Func<Task> _drop;
    private readonly Func<System.Data.Common.DbConnection> _raw;

    private DetectionRig(ServiceProvider services, IFleetStore store, TestClock clock, Func<Task> drop, Func<System.Data.Common.DbConnection> raw)
    {
        _services = services;
        Store = store;
        Clock = clock;
        _drop = drop;
        _raw = raw;
    }

    public IFleetStore Store { get; }
    public TestClock Clock { get; }
    public TelemetryIngestService Ingest => _services.GetRequiredService<TelemetryIngestService>();
    public IncidentService Incidents => _services.GetRequiredService<IncidentService>();
    public DetectionHost Detection => _services.GetRequiredService<DetectionHost>();
    public ServerCommandKey CommandKey => _services.GetRequiredService<ServerCommandKey>();
    public DeviceCommandIssuer Issuer => _services.GetRequiredService<DeviceCommandIssuer>();
    public PlaybookExecutor Executor => _services.GetRequiredService<PlaybookExecutor>();

    public static async Task<DetectionRig> StartAsync(TestEngine engine, DateTimeOffset start, DetectionServerOptions? options = null, Func<IFleetStore, IFleetStore>? wrap = null)
    {
        var clock = new TestClock(start);
        IFleetStore store;
        Func<Task> drop;
        Func<System.Data.Common.DbConnection> raw;
        if (engine == TestEngine.Sqlite)
        {
            var directory = Directory.CreateTempSubdirectory("fleetward-detection-");
            var path = Path.Combine(directory.FullName, "fleetward.db");
            store = await FleetStores.OpenSqliteAsync(path, default, clock);
            raw = () => new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly");
            drop = () =>
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                directory.Delete(recursive: true);
                return Task.CompletedTask;
            };
        }
        else
        {
            var admin = Environment.GetEnvironmentVariable("FLEETWARD_TEST_POSTGRES") is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException("FLEETWARD_TEST_POSTGRES is not set: run the suite through scripts/test, which starts a throw-away PostgreSQL.");
            var name = "fw_detect_" + Guid.NewGuid().ToString("N")[..16];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await command.ExecuteNonQueryAsync();
            }
            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
            store = await FleetStores.OpenPostgresAsync(connectionString, default, clock);
            raw = () => new NpgsqlConnection(connectionString);
            drop = async () =>
            {
                NpgsqlConnection.ClearAllPools();
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
            };
        }

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton(wrap is null ? store : wrap(store));
        if (options is not null) services.AddSingleton(options);
        services.AddDetection();
        Fleetward.Server.Identity.DeviceIdentityServices.AddDeviceIdentity(services);
        var provider = services.BuildServiceProvider();
        var rig = new DetectionRig(provider, store, clock, drop, raw);
        await rig.Detection.StartAsync(default);
        await rig.Detection.Restored;
        return rig;
    }

    public async Task<Device> AddDeviceAsync(string id, string model, DeviceLifecycleState state = DeviceLifecycleState.Active)
    {
        var device = new Device(id, model, null, [], state, Clock.Now, null, null);
        await using var work = await Store.BeginAsync();
        await work.Devices.InsertAsync(device);
        await work.CommitAsync();
        return device;
    }

    public async Task<Device> DeviceAsync(string id)
    {
        await using var read = await Store.ReadAsync();
        return await read.Devices.GetAsync(id) ?? throw new InvalidOperationException($"no device {id}");
    }

    /// <summary>Types of the audit records about <paramref name="subject"/>, read straight from the table (the port has no read side).</summary>
    public async Task<IReadOnlyList<string>> AuditTypesAsync(string subject)
    {
        await using var connection = _raw();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type FROM audit_entries WHERE subject = @subject ORDER BY idx";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@subject";
        parameter.Value = subject;
        command.Parameters.Add(parameter);
        var types = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) types.Add(reader.GetString(0));
        return types;
    }

    public async ValueTask DisposeAsync()
    {
        await Detection.StopAsync(default);
        await _services.DisposeAsync();
        await Store.DisposeAsync();
        await _drop();
    }
}
