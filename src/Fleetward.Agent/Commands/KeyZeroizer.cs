namespace Fleetward.Agent.Commands;

/// <summary>
/// Destroys the agent's operational keys: every file under the key directory is overwritten with zeros,
/// synced and deleted. The factory identity lives elsewhere (a separate directory or the TPM) and is left
/// alone, so afterwards the device can only enroll again through it. On flash storage the overwrite is
/// best effort (wear levelling may keep old blocks); deletion is what the agent can guarantee.
/// </summary>
/// <param name="keyDirectory">The agent's key files.</param>
/// <param name="keyKeptElsewhere">
/// Where the TLS key lives when it is not a file in <paramref name="keyDirectory"/> (a PKCS#11 token), or null. The
/// agent cannot destroy such a key, and a zeroize must never claim it did.
/// </param>
public sealed class KeyZeroizer(string keyDirectory, string? keyKeptElsewhere = null)
{
    /// <summary>Returns how many key files were destroyed.</summary>
    /// <remarks>
    /// Symbolic links are removed without writing through them: a link to the factory identity or to a system
    /// file must never turn a zeroize into the destruction of what it points at.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The TLS key is kept elsewhere and was not destroyed (the key files were).</exception>
    public int Zeroize()
    {
        var destroyed = Directory.Exists(keyDirectory) ? ZeroizeDirectory(keyDirectory) : 0;
        if (keyKeptElsewhere is not null)
        {
            throw new InvalidOperationException(
                $"partial: {destroyed} key files destroyed, but the TLS key in {keyKeptElsewhere} was not: the agent cannot erase it; revoke its certificate and clear the token");
        }
        return destroyed;
    }

    private static int ZeroizeDirectory(string directory)
    {
        var destroyed = 0;
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList())
        {
            if (entry.LinkTarget is not null)
            {
                entry.Delete();
                continue;
            }

            if (entry is DirectoryInfo subdirectory)
            {
                destroyed += ZeroizeDirectory(subdirectory.FullName);
                continue;
            }

            Overwrite(entry.FullName);
            entry.Delete();
            destroyed++;
        }

        DurableFile.SyncDirectory(directory);
        return destroyed;
    }

    private static void Overwrite(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.None);
        var zeros = new byte[Math.Min(stream.Length, 64 * 1024)];
        for (long written = 0; written < stream.Length; written += zeros.Length)
        {
            stream.Write(zeros, 0, (int)Math.Min(zeros.Length, stream.Length - written));
        }

        stream.Flush(flushToDisk: true);
    }
}
