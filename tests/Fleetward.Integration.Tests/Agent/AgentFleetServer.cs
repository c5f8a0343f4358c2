using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Slots;
using Fleetward.Agent.Telemetry;
using Fleetward.Integration.Tests.Est;
using Fleetward.Server;
using Fleetward.Server.Configuration;
using Fleetward.Server.Identity;
using Fleetward.Server.Rollouts;
using Fleetward.Server.Updates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fleetward.Integration.Tests.Agent;

/// <summary>
/// A clock only the test moves, timestamps included: the server's caches measure their age with timestamps, so they
/// expire when the test moves time, not when the machine happens to be slow.
/// </summary>
public sealed class AgentTestClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref ticks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref ticks, value.UtcTicks);
    }

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => Interlocked.Read(ref ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}

/// <summary>A release the server published and signed through TUF.</summary>
public sealed record PublishedRelease(string Id, string Version, long SecurityVersion, string Channel, string TargetPath, string Sha256, byte[] Image);

/// <summary>
/// A real control plane for agent tests, made the way an operator makes one (init with the development TUF key set,
/// ca init) and run on 127.0.0.1 with a clock the test moves. The clock starts three days in the past so every
/// certificate the server issues is already valid for the TLS stacks, which check against the real time; tests move it
/// forward by hours at most. Runs on SQLite, or on a fresh database of FLEETWARD_TEST_POSTGRES.
/// </summary>
public sealed class AgentFleetServer : IAsyncDisposable
{
    public const string Model = "rover-2";
    public const string FactoryVersion = "1.0.0";
    public const long FactorySecurityVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ControlPlane plane;
    private readonly Func<Task> dropDatabase;
    private readonly string? connectionString;

    private AgentFleetServer(string root, ControlPlane plane, AgentTestClock clock, string adminToken, Uri deviceUrl, Func<Task> dropDatabase, string? connectionString)
    {
        this.connectionString = connectionString;
        Root = root;
        this.plane = plane;
        Clock = clock;
        DeviceUrl = deviceUrl;
        this.dropDatabase = dropDatabase;
        Data = new DataDirectory(Path.Combine(root, "data"));
        FleetRoot = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Data.Root, "ca", "root.crt")));
        TufRoot = File.ReadAllBytes(DevelopmentKeySet.RootFilePath(new UpdatesDirectory(Data.Root)));
        var pinned = X509Certificate2.CreateFromPem(File.ReadAllText(Data.OperatorCaPath));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
        Operator = new HttpClient(handler) { BaseAddress = new Uri(plane.Server.OperatorAddress, "api/v1/") };
        Operator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public string Root { get; }

    public DataDirectory Data { get; }

    public AgentTestClock Clock { get; }

    public Uri DeviceUrl { get; }

    public X509Certificate2 FleetRoot { get; }

    public byte[] TufRoot { get; }

    /// <summary>The operator API (/api/v1/) as the admin.</summary>
    public HttpClient Operator { get; }

    public T Service<T>() where T : notnull => plane.Server.Services.GetRequiredService<T>();

    /// <summary>Where agents keep their state: memory-backed where available, since thousands of fsyncs prove nothing more on a disk.</summary>
    public string AgentRoot => Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "fleetward-agents-" + Path.GetFileName(Root));

    /// <param name="start">Where the clock starts; default noon three days ago.</param>
    public static async Task<AgentFleetServer> StartAsync(bool postgres = false, DateTimeOffset? start = null)
    {
        // Memory-backed where available: the fleet tests commit thousands of transactions whose fsyncs prove nothing here.
        var root = Directory.CreateDirectory(Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "fleetward-agent-" + Guid.NewGuid().ToString("N"))).FullName;
        var data = new DataDirectory(Path.Combine(root, "data"));
        var clockStart = start ?? new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3).AddHours(12);
        var clock = new AgentTestClock(clockStart);
        var devicePort = FreePort();
        var deviceUrl = new Uri($"https://127.0.0.1:{devicePort}/");
        string? connectionString = null;
        Func<Task> drop = () => Task.CompletedTask;
        if (postgres)
        {
            (connectionString, drop) = await CreateDatabaseAsync();
        }
        var init = await DataDirectoryInitializer.InitializeAsync(data, new Uri("https://127.0.0.1:0"), deviceUrl, connectionString, clock, default);
        // Zero trust for updates too: TUF metadata and targets only over mutual TLS, targets only for active devices.
        var updates = new UpdatesDirectory(data.Root);
        (UpdatesSettings.Load(updates) with { RequireDeviceCertificate = true }).Save(updates);
        CertificateAuthorityInitializer.Initialize(data, Path.Combine(root, "root-key.pem"), "root-passphrase-for-tests", null, EstControlPlane.IssuingPassphrase, clockStart.AddMinutes(-5));
        ControlPlane plane;
        await EstControlPlane.StartLock.WaitAsync();
        try
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, EstControlPlane.IssuingPassphrase);
            plane = await ControlPlane.StartAsync(data, new ControlPlaneOverrides(connectionString), new FleetwardServerSetup
            {
                Time = clock,
                ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
            }, default);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CertificateAuthorityConfiguration.PassphraseVariable, null);
            EstControlPlane.StartLock.Release();
        }
        return new AgentFleetServer(root, plane, clock, init.AdminToken, deviceUrl, drop, connectionString);
    }

    public async Task CreateGroupAsync(string name, string model = Model, IReadOnlyList<string>? tags = null)
    {
        var response = await Operator.PostAsJsonAsync("groups", new { name, model, tags = tags ?? [], approval = "auto" });
        await EnsureAsync(response);
    }

    public async Task<string> TokenAsync(string group, string deviceId)
    {
        var response = await Operator.PostAsJsonAsync($"groups/{group}/tokens", new { deviceId, expiresInSeconds = 7 * 86400 });
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    /// <summary>Uploads <paramref name="image"/> and publishes it; the development key set signs it at once.</summary>
    public async Task<PublishedRelease> PublishAsync(byte[] image, string version, long securityVersion, string channel = "stable", string hardware = Model,
        string fileName = "rootfs.img")
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var uploaded = await Operator.PostAsync("releases/artifacts", content);
        await EnsureAsync(uploaded);
        var sha256 = (await uploaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sha256").GetString()!;
        var published = await Operator.PostAsJsonAsync("releases", new { artifactSha256 = sha256, fileName, version, securityVersion, hardware = new[] { hardware }, channel });
        await EnsureAsync(published);
        var release = await published.Content.ReadFromJsonAsync<JsonElement>();
        return new PublishedRelease(release.GetProperty("id").GetString()!, version, securityVersion, channel, release.GetProperty("targetPath").GetString()!, sha256, image);
    }

    /// <summary>Overwrites the stored artifact of <paramref name="release"/> in place: what a compromised mirror or disk would serve.</summary>
    public void Tamper(PublishedRelease release)
    {
        var file = Path.Combine(new UpdatesDirectory(Data.Root).TargetsDirectory, release.Sha256);
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Creates and starts a rollout of <paramref name="release"/> to every device of the model.</summary>
    public async Task<RolloutView> StartRolloutAsync(string id, PublishedRelease release, IReadOnlyList<RingSpec>? rings = null, ErrorThresholdSpec? errors = null,
        MaintenanceSpec? maintenance = null, SelectionSpec? selection = null) =>
        await StartRolloutAsync(id, new ReleaseSpec(release.Id, release.Version, release.Channel), rings, errors, maintenance, selection);

    public async Task<RolloutView> StartRolloutAsync(string id, ReleaseSpec release, IReadOnlyList<RingSpec>? rings = null, ErrorThresholdSpec? errors = null,
        MaintenanceSpec? maintenance = null, SelectionSpec? selection = null)
    {
        var created = await Operator.PostAsJsonAsync("rollouts", new CreateRolloutRequest(release, rings ?? [new RingSpec(100m)], id,
            selection ?? new SelectionSpec(Model: Model), errors ?? new ErrorThresholdSpec(FailedPercent: 20m, MinimumFinished: 5, Action: "pause"),
            null, 3600, 0, maintenance), Json);
        await EnsureAsync(created);
        var started = await Operator.PostAsJsonAsync($"rollouts/{id}/start", new { });
        await EnsureAsync(started);
        return await RolloutAsync(id);
    }

    public async Task<RolloutView> RolloutAsync(string id)
    {
        var response = await Operator.GetAsync($"rollouts/{id}");
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<RolloutView>(Json))!;
    }

    /// <summary>
    /// Plays a compromised server: rewrites what a started rollout names (the operator API resolves releases from the
    /// signed catalogue, so only someone with the database can make it name a target TUF does not vouch for).
    /// </summary>
    public async Task CompromiseRolloutAsync(string id, string releaseId, string version, long securityVersion)
    {
        await using System.Data.Common.DbConnection connection = connectionString is null
            ? new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Data.DefaultDatabasePath)
            : new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE rollouts SET release_id = '{releaseId}', release_version = '{version}', release_security_version = {securityVersion} WHERE id = '{id}'";
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public async Task<IReadOnlyList<AssignmentView>> AssignmentsAsync(string id)
    {
        var response = await Operator.GetAsync($"rollouts/{id}/devices?limit=1000");
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<AssignmentPage>(Json))!.Items;
    }

    /// <summary>Moves the clock and runs the rollout worker's tick (its own timer runs on real time).</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Now += by;
        await Service<RolloutTicker>().TickAsync(default);
    }

    /// <summary>A virtual device with file-backed A/B slots holding the factory image, enrolled with a one-time token.</summary>
    public async Task<VirtualDevice> NewDeviceAsync(string group, string deviceId, Func<HealthCheckContext, HealthResult>? health = null, AgentIntervals? intervals = null,
        string model = Model)
    {
        var token = await TokenAsync(group, deviceId);
        return VirtualDevice.Create(this, deviceId, EnrollmentCredential.WithToken(token), health, intervals, model);
    }

    /// <summary>
    /// Creates a factory-identity group whose throw-away factory CA issues IDevIDs (subject serialNumber = device id),
    /// and returns a maker of such identities.
    /// </summary>
    public async Task<Func<string, X509Certificate2>> CreateFactoryGroupAsync(string name, string model = Model)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Rover Factory Root, O=Acme", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(Clock.Now.AddYears(-1), Clock.Now.AddYears(10));
        var response = await Operator.PostAsJsonAsync("groups", new { name, model, factoryCaPem = ca.ExportCertificatePem() });
        await EnsureAsync(response);
        return deviceId =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=Acme R2, O=Acme, OID.2.5.4.5={deviceId}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            using var issued = request.Create(ca, Clock.Now.AddYears(-1), Clock.Now.AddYears(10), RandomNumberGenerator.GetBytes(12));
            using var joined = issued.CopyWithPrivateKey(key);
            return X509CertificateLoader.LoadPkcs12(joined.Export(X509ContentType.Pkcs12), null);
        };
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        await plane.StopAsync(default);
        await plane.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        await dropDatabase();
        foreach (var directory in new[] { Root, AgentRoot })
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    public static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<(string ConnectionString, Func<Task> Drop)> CreateDatabaseAsync()
    {
        var admin = Environment.GetEnvironmentVariable("FLEETWARD_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("FLEETWARD_TEST_POSTGRES is not set: run the suite through scripts/test, which starts a throw-away PostgreSQL.");
        var name = "fw_agent_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return (new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One virtual device: its agent, its simulated A/B hardware and a synthetic snapshot source on the server's clock.</summary>
public sealed class VirtualDevice : IAsyncDisposable
{
    private VirtualDevice(string id, string model, string state, SimulatedSlotDevice slots, DeviceAgent agent, SyntheticSnapshots snapshots)
    {
        Id = id;
        Model = model;
        State = state;
        Slots = slots;
        Agent = agent;
        Snapshots = snapshots;
    }

    public string Id { get; }

    /// <summary>The hardware model the agent checks signed targets against.</summary>
    public string Model { get; }

    public string State { get; }

    public SimulatedSlotDevice Slots { get; }

    public DeviceAgent Agent { get; }

    public SyntheticSnapshots Snapshots { get; }

    public static readonly byte[] FactoryImage = "factory rootfs 1.0.0"u8.ToArray();

    /// <summary>A device fresh from the factory, or (when its directory exists) the same device after a restart of its agent.</summary>
    public static VirtualDevice Create(AgentFleetServer server, string deviceId, EnrollmentCredential credential, Func<HealthCheckContext, HealthResult>? health = null,
        AgentIntervals? intervals = null, string model = AgentFleetServer.Model, Func<AgentSlots, AgentSlots>? slots = null)
    {
        var state = Path.Combine(server.AgentRoot, deviceId);
        var slotDirectory = Path.Combine(state, "slots");
        var device = Directory.Exists(slotDirectory) ? SimulatedSlotDevice.Open(slotDirectory) : SimulatedSlotDevice.Create(slotDirectory, FactoryImage);
        var snapshots = new SyntheticSnapshots(server.Clock, StableSeed(deviceId));
        var agent = new DeviceAgent(
            new DeviceAgentOptions(server.DeviceUrl, deviceId, Path.Combine(state, "agent"), server.FleetRoot, credential, model, server.TufRoot,
                new FactoryRelease(AgentFleetServer.FactoryVersion, AgentFleetServer.FactorySecurityVersion))
            {
                Intervals = intervals ?? AgentIntervals.Default,
            },
            new DeviceAgentPorts(server.Clock, new Random(StableSeed(deviceId)), snapshots, (slots ?? (s => s))(AgentSlots.Simulated(device)))
            {
                HealthCheck = health is null ? null : context => new FixedHealthCheck(health(context)),
            });
        return new VirtualDevice(deviceId, model, state, device, agent, snapshots);
    }

    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked(hash * 31 + c));

    public ValueTask DisposeAsync() => Agent.DisposeAsync();

    private sealed class FixedHealthCheck(HealthResult result) : IHealthCheck
    {
        public Task<HealthResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(result);
    }
}

/// <summary>Plausible readings of a quiet robot with cumulative counters, on the test's clock.</summary>
public sealed class SyntheticSnapshots(TimeProvider clock, int seed) : ISnapshotSource
{
    private readonly Random random = new(seed);
    private ulong received;
    private ulong sent;

    public List<SocketEntry> Connections { get; } = [];

    public SystemSnapshot Collect()
    {
        received += (ulong)random.Next(10_000, 20_000);
        sent += (ulong)random.Next(5_000, 10_000);
        return new SystemSnapshot(clock.GetUtcNow(), 0.1 + random.NextDouble() * 0.1, new MemoryInfo(512_000_000, 300_000_000),
            [new InterfaceCounters("eth0", received, received / 500, sent, sent / 500)], [.. Connections], [], new ProcessSummary(80, []),
            TimeSpan.FromHours(5), new RebootCount("boot", 0), 41, 0, 0, new SensorReadings(new GpsFix(48.137, 11.575, 5), false, 30));
    }
}
