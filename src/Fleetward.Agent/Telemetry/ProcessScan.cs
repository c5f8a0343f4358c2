namespace Fleetward.Agent.Telemetry;

/// <summary>
/// A process whose executable file was removed after it started: malware such as Mirai deletes its own
/// binary to hide, so the kernel shows <c>/proc/[pid]/exe</c> pointing at "path (deleted)".
/// </summary>
public sealed record DeletedExecutableProcess(int Pid, string Name, string ExecutablePath);

/// <summary>Process count and deleted-executable processes from <c>/proc</c>.</summary>
public sealed record ProcessSummary(int ProcessCount, IReadOnlyList<DeletedExecutableProcess> DeletedExecutables);

/// <summary>Walks the numeric entries of a proc file system.</summary>
public static class ProcessScan
{
    private const string DeletedSuffix = " (deleted)";

    /// <summary>The original path when <paramref name="exeLinkTarget"/> marks a deleted executable, else null.</summary>
    public static string? DeletedPath(string exeLinkTarget) =>
        exeLinkTarget.EndsWith(DeletedSuffix, StringComparison.Ordinal) ? exeLinkTarget[..^DeletedSuffix.Length] : null;

    public static ProcessSummary Scan(string procRoot)
    {
        var count = 0;
        var deleted = new List<DeletedExecutableProcess>();
        foreach (var directory in Directory.EnumerateDirectories(procRoot))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            count++;
            string? target;
            try
            {
                target = new FileInfo(Path.Combine(directory, "exe")).LinkTarget;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Kernel threads have no exe, processes can exit between listing and reading, and
                // other users' links need privileges: none of these is a deleted executable.
                continue;
            }
            if (target is not null && DeletedPath(target) is { } path)
            {
                deleted.Add(new DeletedExecutableProcess(pid, ReadName(directory), path));
            }
        }
        return new ProcessSummary(count, deleted);
    }

    private static string ReadName(string processDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(processDirectory, "comm")).TrimEnd('\n');
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
