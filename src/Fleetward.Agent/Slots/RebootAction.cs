namespace Fleetward.Agent.Slots;

/// <summary>What happened when the installer asked for a reboot.</summary>
public enum RebootOutcome
{
    /// <summary>The system is going down; the agent resumes the install when it starts again.</summary>
    Pending,

    /// <summary>The boot already happened in-process (simulated devices); the installer resumes at once.</summary>
    Restarted,
}

/// <summary>Reboots the device so the boot loader can apply the trial or the fallback.</summary>
public interface IRebootAction
{
    Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken);
}

/// <summary>Reboots a real Linux device through systemd.</summary>
public sealed class SystemdReboot(string systemctl = "systemctl") : IRebootAction
{
    public Task<RebootOutcome> RebootAsync(CancellationToken cancellationToken)
    {
        ExternalTool.Run(systemctl, "reboot");
        return Task.FromResult(RebootOutcome.Pending);
    }
}
