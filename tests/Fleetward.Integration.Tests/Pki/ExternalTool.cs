using System.Diagnostics;

namespace Fleetward.Integration.Tests.Pki;

/// <summary>
/// Runs a real command-line tool (openssl, pkcs11-tool, softhsm2-util). A missing tool fails the test with the
/// Debian package to install: interop tests never skip silently.
/// </summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string Output => StandardOutput + StandardError;
    }

    public static string Require(string tool, string debianPackage)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin"))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"'{tool}' is not installed; install the Debian package '{debianPackage}' (scripts/test does this).");
        return tool;
    }

    public static Result Run(string tool, string debianPackage, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Require(tool, debianPackage))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', arguments)} did not finish within two minutes.");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the tool and fails the test, showing its output, unless it exits 0.</summary>
    public static string RunOk(string tool, string debianPackage, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var argumentList = arguments.ToList();
        var result = Run(tool, debianPackage, argumentList, workingDirectory, environment);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', argumentList)} exited {result.ExitCode}:\n{result.Output}");
        return result.Output;
    }

    public static string OpenSsl(string workingDirectory, params string[] arguments) => RunOk("openssl", "openssl", arguments, workingDirectory);

    public static Result TryOpenSsl(string workingDirectory, params string[] arguments) => Run("openssl", "openssl", arguments, workingDirectory);
}

/// <summary>A temporary directory removed when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("fleetward-pki-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A tool still holding a file must not turn a passing test red; the OS cleans /tmp.
        }
    }
}
