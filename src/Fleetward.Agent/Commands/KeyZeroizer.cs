namespace Fleetward.Agent.Commands;

/// <summary>
/// Destroys the agent's operational keys: every file under the key directory is overwritten with zeros,
/// synced and deleted. The factory identity lives elsewhere (a separate directory or the TPM) and is left
/// alone, so afterwards the device can only enroll again through it. On flash storage the overwrite is
/// best effort (wear levelling may keep old blocks); deletion is what the agent can guarantee.
/// </summary>
public sealed class KeyZeroizer(string keyDirectory)
{
    /// <summary>Returns how many key files were destroyed.</summary>
    public int Zeroize()
    {
        if (!Directory.Exists(keyDirectory))
        {
            return 0;
        }
        var destroyed = 0;
        foreach (var file in Directory.EnumerateFiles(keyDirectory, "*", SearchOption.AllDirectories).ToList())
        {
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                var zeros = new byte[Math.Min(stream.Length, 64 * 1024)];
                for (long written = 0; written < stream.Length; written += zeros.Length)
                {
                    stream.Write(zeros, 0, (int)Math.Min(zeros.Length, stream.Length - written));
                }
                stream.Flush(flushToDisk: true);
            }
            File.Delete(file);
            DurableFile.SyncDirectory(Path.GetDirectoryName(file)!);
            destroyed++;
        }
        return destroyed;
    }
}
