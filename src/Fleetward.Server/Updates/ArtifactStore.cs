using System.Security.Cryptography;
using Fleetward.Trust.Tuf;

namespace Fleetward.Server.Updates;

/// <summary>An artifact as stored: its SHA-256 (its name), SHA-512 and length.</summary>
public sealed record StoredArtifact(string Sha256, string Sha512, long Length);

/// <summary>
/// Release artifacts, content-addressed on disk: each file is named by its SHA-256, written to a temporary file and
/// renamed into place only after hashing, so a name always matches a complete upload and equal uploads share one file.
/// </summary>
public sealed class ArtifactStore(UpdatesDirectory directory)
{
    /// <summary>Stores an upload, at most <paramref name="maxLength"/> bytes; returns its hashes and length.</summary>
    public async Task<StoredArtifact> PutAsync(Stream content, long maxLength, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory.TargetsDirectory);
        var temporary = Path.Combine(directory.TargetsDirectory, ".upload-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        try
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            long length = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    length += read;
                    if (length > maxLength) throw new ArtifactTooLargeException(maxLength);
                    sha256.AppendData(buffer, 0, read);
                    sha512.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            var stored = new StoredArtifact(Convert.ToHexStringLower(sha256.GetHashAndReset()), Convert.ToHexStringLower(sha512.GetHashAndReset()), length);
            File.Move(temporary, PathOf(stored.Sha256), overwrite: true);
            return stored;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Re-reads a stored artifact and describes it as a TUF target (length, sha256, sha512); null when absent.</summary>
    public async Task<TargetFileInfo?> DescribeAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var stream = Open(sha256);
        return stream is null ? null : await TargetFileInfo.FromStreamAsync(stream, cancellationToken: cancellationToken);
    }

    /// <summary>Opens an artifact for reading, or null when no artifact has that hash.</summary>
    public FileStream? Open(string sha256)
    {
        if (!IsSha256Hex(sha256)) return null;
        try
        {
            return new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public string PathOf(string sha256) =>
        IsSha256Hex(sha256) ? Path.Combine(directory.TargetsDirectory, sha256) : throw new ArgumentException($"'{sha256}' is not a lower-case SHA-256 hex digest", nameof(sha256));

    public static bool IsSha256Hex(string value) => value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}

/// <summary>An upload exceeded the artifact size limit.</summary>
public sealed class ArtifactTooLargeException(long limit) : Exception($"the artifact exceeds the limit of {limit} bytes")
{
    public long Limit { get; } = limit;
}
