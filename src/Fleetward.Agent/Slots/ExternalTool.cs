using System.Diagnostics;

namespace Fleetward.Agent.Slots;

/// <summary>Runs a boot-loader tool and returns its output; a non-zero exit becomes an exception carrying stderr.</summary>
internal static class ExternalTool
{
    public static string Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new IOException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result.Trim()}");
        }
        return stdout;
    }

    /// <summary>Parses <c>name=value</c> lines as printed by fw_printenv and grub-editenv list.</summary>
    public static Dictionary<string, string> ParseVariables(string output)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                variables[line[..equals]] = line[(equals + 1)..].TrimEnd('\r');
            }
        }
        return variables;
    }
}
