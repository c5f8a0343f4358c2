namespace Fleetward.Agent.Telemetry;

/// <summary>
/// Security-relevant failures the agent itself observes (a download whose hash or signature did not
/// verify, an install that failed or rolled back), counted since the agent started; shared by the
/// updater and installer and read by the collector.
/// </summary>
public sealed class AgentEventCounters
{
    private long integrityCheckFailures;
    private long installFailures;

    public long IntegrityCheckFailures => Interlocked.Read(ref integrityCheckFailures);

    public long InstallFailures => Interlocked.Read(ref installFailures);

    public void RecordIntegrityCheckFailure() => Interlocked.Increment(ref integrityCheckFailures);

    public void RecordInstallFailure() => Interlocked.Increment(ref installFailures);
}
