namespace Fleetward.Simulator.Tests;

/// <summary>
/// Where simulator tests keep server databases and robot state: /dev/shm when the machine has it, because hundreds of
/// agents and a SQLite server each fsync on every durable write and a disk turns a simulated day into minutes; the
/// behaviour under test is the same on any file system.
/// </summary>
public static class ScratchDirectory
{
    public static string Create(string prefix)
    {
        var parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        return Directory.CreateDirectory(Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12])).FullName;
    }
}
