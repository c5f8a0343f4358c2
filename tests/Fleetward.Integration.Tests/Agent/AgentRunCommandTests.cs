using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Fleetward.Cli;

namespace Fleetward.Integration.Tests.Agent;

/// <summary>`fleetward agent run` on this machine (real /proc, file-backed slots, the system clock) against a real server.</summary>
public sealed class AgentRunCommandTests
{
    [Fact]
    public async Task Agent_run_enrolls_reports_real_telemetry_and_stops_on_cancel()
    {
        await using var server = await AgentFleetServer.StartAsync(start: DateTimeOffset.UtcNow.AddMinutes(-1));
        await server.CreateGroupAsync("lab");
        var token = await server.TokenAsync("lab", "lab-box-1");
        var files = Directory.CreateTempSubdirectory("fleetward-agent-run-").FullName;
        try
        {
            var fleetRoot = Path.Combine(files, "fleet-root.pem");
            await File.WriteAllTextAsync(fleetRoot, server.FleetRoot.ExportCertificatePem());
            var tufRoot = Path.Combine(files, "root.json");
            await File.WriteAllBytesAsync(tufRoot, server.TufRoot);
            using var output = new StringWriter();
            var synchronized = TextWriter.Synchronized(output);
            using var stop = new CancellationTokenSource();
            var run = Program.BuildRootCommand().Parse(
                [
                    "agent", "run", "--server", server.DeviceUrl.AbsoluteUri, "--state", Path.Combine(files, "state"), "--fleet-root", fleetRoot,
                    "--tuf-root", tufRoot, "--token", token, "--device-id", "lab-box-1", "--model", AgentFleetServer.Model,
                    "--factory-version", "1.0.0", "--factory-security-version", "1", "--interval", "1",
                ]).InvokeAsync(new InvocationConfiguration { Output = synchronized, Error = synchronized }, stop.Token);

            JsonElement telemetry = default;
            for (var attempt = 0; attempt < 150 && !run.IsCompleted; attempt++)
            {
                telemetry = await server.Operator.GetFromJsonAsync<JsonElement>("devices/lab-box-1/telemetry").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : default);
                if (telemetry.ValueKind == JsonValueKind.Object && telemetry.GetProperty("latest").ValueKind == JsonValueKind.Object)
                {
                    break;
                }
                await Task.Delay(200);
            }
            stop.Cancel();
            var exitCode = await run;

            Assert.True(exitCode == 0, output.ToString());
            var latest = telemetry.GetProperty("latest");
            Assert.True(latest.GetProperty("processCount").GetInt32() > 0);
            Assert.True(latest.GetProperty("memoryTotalBytes").GetInt64() > 0);
            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            Assert.Contains(lines, l => l.GetProperty("event").GetString() == "identity.certificate");
            Assert.Equal("agent.stop", lines[^1].GetProperty("event").GetString());
            Assert.True(File.Exists(Path.Combine(files, "state", "slots", "slot-a.img")));
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }
    }

    [Fact]
    public async Task Token_and_factory_certificate_together_are_a_usage_error()
    {
        using var output = new StringWriter();
        var exitCode = await Program.BuildRootCommand().Parse(
            [
                "agent", "run", "--server", "https://127.0.0.1:1/", "--state", "/nonexistent", "--fleet-root", "/nonexistent/root.pem",
                "--tuf-root", "/nonexistent/root.json", "--token", "t", "--factory-cert", "/x.pem", "--factory-key", "/x.key", "--model", "m",
            ]).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });

        Assert.Equal(2, exitCode);
        Assert.Contains("alternatives", output.ToString());
    }

    [Fact]
    public async Task A_production_device_without_a_pinned_command_key_is_a_usage_error()
    {
        using var output = new StringWriter();
        var exitCode = await Program.BuildRootCommand().Parse(
            [
                "agent", "run", "--server", "https://127.0.0.1:1/", "--state", "/nonexistent", "--fleet-root", "/nonexistent/root.pem",
                "--tuf-root", "/nonexistent/root.json", "--token", "t", "--device-id", "d", "--model", "m", "--production",
            ]).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });

        Assert.Equal(2, exitCode);
        Assert.Contains("--production requires --command-key", output.ToString());
    }
}
