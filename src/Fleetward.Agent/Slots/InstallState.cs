namespace Fleetward.Agent.Slots;

/// <summary>
/// The per-device install states the server's rollout tracks (issue 5, server item 5). Downloading and
/// downloaded are reported by the updater before the image reaches the installer.
/// </summary>
public enum InstallState
{
    Downloading,
    Downloaded,
    Installing,
    Rebooting,
    Verifying,
    Succeeded,
    Failed,
    RolledBack,
}

/// <summary>Wire names of <see cref="InstallState"/>.</summary>
public static class InstallStateNames
{
    public static string ToName(this InstallState state) => state switch
    {
        InstallState.Downloading => "downloading",
        InstallState.Downloaded => "downloaded",
        InstallState.Installing => "installing",
        InstallState.Rebooting => "rebooting",
        InstallState.Verifying => "verifying",
        InstallState.Succeeded => "succeeded",
        InstallState.Failed => "failed",
        InstallState.RolledBack => "rolled-back",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}

/// <summary>What the agent reports about the latest install: its state, the reason for a failure or rollback, and the slot running now.</summary>
public sealed record InstallStatus(string ReleaseId, InstallState State, string? Reason, Slot RunningSlot);
