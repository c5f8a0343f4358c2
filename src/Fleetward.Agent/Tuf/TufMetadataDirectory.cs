using System.Globalization;
using System.Text;

namespace Fleetward.Agent.Tuf;

/// <summary>
/// The device's trusted TUF state on disk: the last verified metadata of each role and the installed security version.
/// Every write goes to a temporary file that is flushed and renamed over the old one, so a power cut leaves either the
/// old or the new verified file, never a torn one.
/// </summary>
public sealed class TufMetadataDirectory
{
    private const string SecurityVersionFile = "installed_security_version";

    public TufMetadataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The stored metadata of a role, or null if none is stored.</summary>
    public byte[]? Read(string role)
    {
        var file = FileFor(role);
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    public void Write(string role, ReadOnlySpan<byte> data) => WriteAtomically(FileFor(role), data);

    public void Delete(string role) => File.Delete(FileFor(role));

    /// <summary>The security version of the newest installed release; 0 before anything was installed.</summary>
    public long InstalledSecurityVersion
    {
        get
        {
            var file = System.IO.Path.Combine(Path, SecurityVersionFile);
            if (!File.Exists(file)) return 0;
            var text = File.ReadAllText(file).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidDataException($"{file} does not hold a security version");
        }
    }

    /// <summary>Raises the installed security version. It never goes down: a lower value is ignored.</summary>
    public void RaiseInstalledSecurityVersion(long securityVersion)
    {
        if (securityVersion <= InstalledSecurityVersion) return;
        WriteAtomically(System.IO.Path.Combine(Path, SecurityVersionFile),
            Encoding.ASCII.GetBytes(securityVersion.ToString(CultureInfo.InvariantCulture) + "\n"));
    }

    /// <summary>Writes via temp file, flush to disk and rename, so readers see the old or the new content, never a mix.</summary>
    public static void WriteAtomically(string file, ReadOnlySpan<byte> data)
    {
        var temp = file + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(data);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, file, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string FileFor(string role) => System.IO.Path.Combine(Path, Uri.EscapeDataString(role) + ".json");
}
