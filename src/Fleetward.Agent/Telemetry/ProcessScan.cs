namespace Fleetward.Agent.Telemetry;

/// <summary>
/// A process whose executable file was removed after it started: malware such as Mirai deletes its own
/// binary to hide, so the kernel shows <c>/proc/[pid]/exe</c> pointing at "path (deleted)".
/// </summary>
public sealed record DeletedExecutableProcess(int Pid, string Name, string ExecutablePath);

/// <summary>The process holding a socket open: the server tells a listener taken over by malware from the service it replaced.</summary>
public sealed record SocketOwner(int Pid, string Name);

/// <summary>
/// Process count, deleted-executable processes, and the owners of the sockets asked about (by inode), from <c>/proc</c>.
/// </summary>
public sealed record ProcessSummary(int ProcessCount, IReadOnlyList<DeletedExecutableProcess> DeletedExecutables)
{
    public IReadOnlyDictionary<ulong, SocketOwner> SocketOwners { get; init; } = new Dictionary<ulong, SocketOwner>();
}

/// <summary>Walks the numeric entries of a proc file system.</summary>
public static class ProcessScan
{
    private const string DeletedSuffix = " (deleted)";

    /// <summary>The original path when <paramref name="exeLinkTarget"/> marks a deleted executable, else null.</summary>
    public static string? DeletedPath(string exeLinkTarget) =>
        exeLinkTarget.EndsWith(DeletedSuffix, StringComparison.Ordinal) ? exeLinkTarget[..^DeletedSuffix.Length] : null;

    private const string SocketLinkPrefix = "socket:[";

    /// <summary>Walks every process; <paramref name="socketInodes"/> names the sockets whose owners to find (proc(5) /proc/pid/fd).</summary>
    public static ProcessSummary Scan(string procRoot, IReadOnlySet<ulong>? socketInodes = null)
    {
        var count = 0;
        var deleted = new List<DeletedExecutableProcess>();
        var owners = new Dictionary<ulong, SocketOwner>();
        foreach (var directory in Directory.EnumerateDirectories(procRoot))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            count++;
            if (socketInodes is { Count: > 0 } && owners.Count < socketInodes.Count)
            {
                FindSocketOwners(directory, pid, socketInodes, owners);
            }
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
        return new ProcessSummary(count, deleted) { SocketOwners = owners };
    }

    /// <summary>Each open socket is a link "socket:[inode]" in /proc/pid/fd; the first process found holding one is named its owner.</summary>
    private static void FindSocketOwners(string processDirectory, int pid, IReadOnlySet<ulong> wanted, Dictionary<ulong, SocketOwner> owners)
    {
        IEnumerable<string> descriptors;
        try
        {
            descriptors = Directory.EnumerateFileSystemEntries(Path.Combine(processDirectory, "fd"));
            string? name = null;
            foreach (var descriptor in descriptors)
            {
                var target = new FileInfo(descriptor).LinkTarget;
                if (target is null || !target.StartsWith(SocketLinkPrefix, StringComparison.Ordinal) || !target.EndsWith(']')
                    || !ulong.TryParse(target.AsSpan(SocketLinkPrefix.Length, target.Length - SocketLinkPrefix.Length - 1), out var inode)
                    || !wanted.Contains(inode) || owners.ContainsKey(inode))
                {
                    continue;
                }
                owners[inode] = new SocketOwner(pid, name ??= ReadName(processDirectory));
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The process exited, or its descriptors need privileges the agent lacks: its sockets stay unattributed.
        }
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
