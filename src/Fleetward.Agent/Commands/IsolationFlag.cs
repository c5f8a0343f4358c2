namespace Fleetward.Agent.Commands;

/// <summary>
/// The device's local quarantine switch, set by an isolate command and cleared by release; it survives
/// restarts, and the agent's network clients consult it to talk only to the quarantine allowance
/// (check-in, telemetry, forensic upload, re-attestation).
/// </summary>
public sealed class IsolationFlag(string path)
{
    public bool IsIsolated => File.Exists(path);

    /// <summary>The reason given when the device was isolated, or null when it is not.</summary>
    public string? Reason => File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') : null;

    public void Isolate(string reason) => DurableFile.WriteAllText(path, reason + "\n");

    public void Release()
    {
        if (File.Exists(path))
        {
            File.Delete(path);
            DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }
}
