using System.Diagnostics;
using System.Text;

namespace Fleetward.Integration.Tests.Demo;

/// <summary>
/// `fleetward demo` as a user runs it, in its own process with stdout going to a pipe (as in CI logs): a small fleet,
/// the whole story, exit code 0, readable plain output, nothing left behind.
/// </summary>
public sealed class DemoCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task The_demo_with_30_robots_tells_the_whole_story_and_exits_0()
    {
        var result = await RunDemoAsync("--devices", "30");

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\n{result.Output}\n{result.Error}");
        var output = result.Output;
        Assert.DoesNotContain("\u001b", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
        foreach (var line in DemoStoryLines)
        {
            Assert.True(output.Contains(line, StringComparison.Ordinal), $"missing '{line}' in:\n{output}");
        }
        var dataDirectory = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("data directory ", StringComparison.Ordinal))["data directory ".Length..];
        Assert.False(Directory.Exists(Path.GetDirectoryName(dataDirectory)), $"{dataDirectory} was left behind");
    }

    [Fact]
    public async Task A_fleet_size_out_of_range_is_a_usage_error()
    {
        var result = await RunDemoAsync("--devices", "3");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--devices must be between", result.Error, StringComparison.Ordinal);
    }

    /// <summary>The lines that say the story happened; the demo prints each only after observing it.</summary>
    private static readonly string[] DemoStoryLines =
    [
        "OK  server ready, store sqlite.",
        "OK  release 1.0.0 (factory image, security version 1)",
        "OK  the registry lists 30 active robots, all seen over mutual TLS, each with its own certificate (30 distinct serials).",
        "OK  all 30 robots run 1.1.0: the canary's 3 passed",
        "OK  1.2.0 halted in the canary of 3 robots",
        "none of the other 27 robots was offered it.",
        "quarantined",
        "by the automatic playbook, and its certificate revoked.",
        "OK  the server refused to roll 1.0.0 out (anti-rollback: security version 1 < 2); no rollout was created.",
        "Devices with unique credentials",
        "Last verified checkpoint",
        "OK  14 figures computed by the server from its database",
        "All 9 steps happened as narrated",
    ];

    private sealed record Run(int ExitCode, string Output, string Error);

    private static async Task<Run> RunDemoAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fleetward.dll"));
        start.ArgumentList.Add("demo");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the demo did not finish within {Limit.TotalMinutes} minutes:\n{await output}\n{await error}");
        }
        return new Run(process.ExitCode, await output, await error);
    }
}
