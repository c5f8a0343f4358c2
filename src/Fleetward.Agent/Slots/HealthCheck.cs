using System.Net;
using System.Net.Sockets;

namespace Fleetward.Agent.Slots;

/// <summary>The verdict of a post-update health check; a failing one names what failed.</summary>
public sealed record HealthResult(bool Healthy, string? Reason)
{
    public static HealthResult Pass { get; } = new(true, null);

    public static HealthResult Fail(string reason) => new(false, reason);
}

/// <summary>Decides after a trial boot whether the new slot is good enough to keep.</summary>
public interface IHealthCheck
{
    Task<HealthResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Default trial-boot check (issue 5): the agent reaches the server (the delegate makes an mTLS call) and
/// each configured local service accepts a TCP connection within the timeout.
/// </summary>
public sealed class AgentHealthCheck(
    Func<CancellationToken, Task<bool>> serverReachable,
    IReadOnlyList<DnsEndPoint> services,
    TimeSpan connectTimeout) : IHealthCheck
{
    public async Task<HealthResult> CheckAsync(CancellationToken cancellationToken)
    {
        bool reached;
        try
        {
            reached = await serverReachable(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthResult.Fail($"server unreachable: {error.Message}");
        }
        if (!reached)
        {
            return HealthResult.Fail("server unreachable");
        }
        foreach (var service in services)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connectTimeout);
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(service.Host, service.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is SocketException || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return HealthResult.Fail($"service {service.Host}:{service.Port} does not answer: {error.Message}");
            }
        }
        return HealthResult.Pass;
    }
}
