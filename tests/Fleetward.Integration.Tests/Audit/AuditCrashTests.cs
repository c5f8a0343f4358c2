using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Fleetward.Cli.Commands;
using Fleetward.Trust.Notes;
using Npgsql;

namespace Fleetward.Integration.Tests.Audit;

/// <summary>
/// Crash proof with the real `fleetward server` process: concurrent audited appends (token creations) through the
/// operator API, SIGKILL while they are in flight, restart, and then every append the client saw acknowledged (HTTP
/// 201) is in the log, and the whole log verifies against a fresh checkpoint and stays consistent with the one signed
/// before the crash.
/// </summary>
public abstract class AuditCrashTests(string engine) : IAsyncLifetime
{
    private const int Writers = 8;
    private const int AcknowledgedBeforeKill = 60;

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("fleetward-audit-crash-");
    private string? postgresDatabase;

    public async Task InitializeAsync()
    {
        if (engine == "postgres")
        {
            postgresDatabase = "fw_crash_" + Guid.NewGuid().ToString("N")[..16];
            await PostgresAdminAsync($"CREATE DATABASE {postgresDatabase}");
        }
    }

    public async Task DisposeAsync()
    {
        if (postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresAdminAsync($"DROP DATABASE IF EXISTS {postgresDatabase} WITH (FORCE)");
        }
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Every_acknowledged_append_survives_a_kill_and_the_log_verifies()
    {
        var data = Path.Combine(directory.FullName, "data");
        List<string> initArgs = ["init", "--data", data, "--operator-url", "https://127.0.0.1:0", "--device-url", "https://127.0.0.1:0", "--json"];
        if (postgresDatabase is not null)
        {
            initArgs.AddRange(["--postgres", PostgresConnectionString(postgresDatabase)]);
        }
        var init = await RunToEndAsync(initArgs);
        var adminToken = JsonDocument.Parse(init).RootElement.GetProperty("adminToken").GetString()!;
        var pinned = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(data, "operator-ca.pem")));
        var logKey = NoteVerifierKey.Parse((await File.ReadAllTextAsync(Path.Combine(data, "audit-log.vkey"))).Trim());

        var acknowledged = new ConcurrentBag<string>();
        string trustedBeforeCrash;
        using (var first = await FleetwardServerProcess.StartAsync(data))
        {
            using var admin = Client(first.OperatorAddress, pinned, adminToken);
            trustedBeforeCrash = await CheckpointAsync(admin);
            using var enough = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !enough.IsCancellationRequested; i++)
                {
                    var name = $"crash w{w} n{i}";
                    try
                    {
                        using var response = await admin.PostAsync("/api/v1/tokens",
                            new StringContent(JsonSerializer.Serialize(new { name, role = "auditor" }), Encoding.UTF8, "application/json"));
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            acknowledged.Add(name);
                            if (acknowledged.Count >= AcknowledgedBeforeKill)
                            {
                                await enough.CancelAsync();
                            }
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();
            // Kill while every writer still has a request in flight.
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(5), enough.Token);
                Assert.Fail($"only {acknowledged.Count} appends were acknowledged in five minutes");
            }
            catch (TaskCanceledException)
            {
            }
            first.Kill();
            await Task.WhenAll(writers);
        }

        using var second = await FleetwardServerProcess.StartAsync(data);
        using var restarted = Client(second.OperatorAddress, pinned, adminToken);
        var tokens = JsonDocument.Parse(await restarted.GetStringAsync("/api/v1/tokens")).RootElement.GetProperty("items")
            .EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToHashSet();
        Assert.True(acknowledged.Count >= AcknowledgedBeforeKill);
        Assert.All(acknowledged, name => Assert.Contains(name, tokens));

        await CheckpointAsync(restarted);
        using var auditor = new AuditApiClient(Client(second.OperatorAddress, pinned, adminToken));
        var verification = await auditor.VerifyAsync(logKey, trustedBeforeCrash, default);
        Assert.True(verification.Result.IsValid, verification.Result.Reason);
        // Every token that exists (the first admin token, the acknowledged ones, any committed just before the kill) has
        // exactly one creation record; init's other records (development keys, repository) come besides them.
        var entries = await auditor.EntriesAsync(verification.Result.EntriesVerified, default);
        var logged = entries.Select(e => Core.Audit.AuditLeafCodec.Decode(e.Leaf))
            .Where(e => e.Type == "token.created")
            .Select(e => JsonDocument.Parse(e.PayloadJson).RootElement.GetProperty("name").GetString()!).ToList();
        Assert.Equal(tokens.Order(), logged.Order());
        Assert.All(acknowledged, name => Assert.Contains(name, logged));
    }

    private static async Task<string> CheckpointAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("checkpoint").GetString()!;
    }

    private static HttpClient Client(Uri server, X509Certificate2 pinned, string token)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> RunToEndAsync(IEnumerable<string> arguments)
    {
        using var process = Process.Start(FleetwardServerProcess.StartInfo(arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"fleetward {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
        return await output;
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

public sealed class SqliteAuditCrashTests() : AuditCrashTests("sqlite");

public sealed class PostgresAuditCrashTests() : AuditCrashTests("postgres");

/// <summary>The real `fleetward server` (the CLI's build output run by `dotnet`), started on free ports and killed with SIGKILL.</summary>
internal sealed class FleetwardServerProcess : IDisposable
{
    private readonly Process process;

    private FleetwardServerProcess(Process process, Uri operatorAddress)
    {
        this.process = process;
        OperatorAddress = operatorAddress;
    }

    public Uri OperatorAddress { get; }

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "fleetward.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: the test project must reference src/Fleetward.Cli.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    public static async Task<FleetwardServerProcess> StartAsync(string data)
    {
        var process = Process.Start(StartInfo(["server", "--data", data]))!;
        _ = process.StandardOutput.ReadToEndAsync();
        var seen = new System.Text.StringBuilder();
        try
        {
            // status lines go to standard error: "fleetward server: operator listener https://127.0.0.1:PORT/ device listener ..."
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.AppendLine(line);
                var at = line.IndexOf("operator listener ", StringComparison.Ordinal);
                if (at >= 0)
                {
                    var address = new Uri(line[(at + "operator listener ".Length)..].Split(' ')[0]);
                    _ = process.StandardError.ReadToEndAsync();
                    return new FleetwardServerProcess(process, address);
                }
            }
            throw new InvalidOperationException($"fleetward server exited before listening: {seen}");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown hook, no flush, no graceful stop.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }
}
