using System.CommandLine;

namespace Fleetward.Server.Tests.Cli;

/// <summary>Runs the real `fleetward` command tree in-process with captured output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(params string[] args) => await RunAsync(Fleetward.Cli.Program.BuildRootCommand(), args, CancellationToken.None);

    public static async Task<Result> RunAsync(Command root, string[] args, CancellationToken cancellationToken, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= new StringWriter();
        error ??= new StringWriter();
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return new Result(exitCode, output.ToString()!, error.ToString()!);
    }
}

/// <summary>A writer that lets a test wait for a line the command prints (e.g. the bound address of a server).</summary>
public sealed class WatchedWriter : StringWriter
{
    private readonly TaskCompletionSource<string> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string marker;

    public WatchedWriter(string marker) => this.marker = marker;

    public Task<string> LineWithMarker => started.Task;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && value.Contains(marker, StringComparison.Ordinal))
        {
            started.TrySetResult(value);
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }
}
