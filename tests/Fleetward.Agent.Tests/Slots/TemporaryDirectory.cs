namespace Fleetward.Agent.Tests.Slots;

/// <summary>
/// A fresh directory, removed when the test ends; in memory (/dev/shm) where available, because the
/// crash-enumeration tests make thousands of fsyncs that prove nothing more on a disk.
/// </summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(
        Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath(), "fleetward-" + Guid.NewGuid().ToString("N"));

    public TemporaryDirectory() => Directory.CreateDirectory(Path);

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
