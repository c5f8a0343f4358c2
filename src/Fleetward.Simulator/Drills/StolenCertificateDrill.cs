using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Identity;

namespace Fleetward.Simulator.Drills;

/// <summary>
/// An attacker copies a robot's certificate and key (physical access to its storage). The operator revokes the
/// device's certificates; the attacker then replays the stolen credentials against the device listener. Defended when
/// every replay after the revocation is refused (in the TLS handshake or with 401/403), while the same credentials
/// worked before.
/// </summary>
public sealed class StolenCertificateDrill : IFleetDrill
{
    public string Name => "stolen-certificate";

    public string Description => "A robot's certificate and key are stolen, the operator revokes them, the thief replays them; expect the replay refused.";

    public async Task<DrillReport> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var log = new DrillLog(context);
        var robot = log.PickTarget();
        if (robot is null) return new DrillReport(Name, DrillVerdict.NotRun, "no enrolled robot", [], log.Steps);
        using var stolen = RobotCredentials.Load(robot);
        if (stolen is null) return new DrillReport(Name, DrillVerdict.NotRun, $"{robot.DeviceId} holds no certificate", [robot.DeviceId], log.Steps);
        log.Add($"certificate {stolen.SerialNumber} and key of {robot.DeviceId} copied");

        var before = await ReplayAsync(context, stolen, cancellationToken).ConfigureAwait(false);
        log.Add($"replay before revocation: {before}");

        var revokedAt = context.Time.GetUtcNow();
        await context.Operator.RevokeDeviceAsync(robot.DeviceId, "keyCompromise", cancellationToken).ConfigureAwait(false);
        log.Add($"operator revoked every certificate of {robot.DeviceId} (keyCompromise)");

        // Other servers sharing the database learn of revocations within seconds; give the check a moment in either time.
        await context.LetTimePassAsync(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        var after = await ReplayAsync(context, stolen, cancellationToken).ConfigureAwait(false);
        log.Add($"replay after revocation: {after}");

        var refused = after != ReplayResult.Accepted;
        return new DrillReport(Name, refused ? DrillVerdict.Defended : DrillVerdict.NotDefended,
            refused ? $"stolen certificate of {robot.DeviceId} refused after revocation ({after})" : $"stolen certificate of {robot.DeviceId} still accepted after revocation",
            [robot.DeviceId], log.Steps, null, context.Time.GetUtcNow() - revokedAt);
    }

    /// <summary>How the device listener answered a replayed request.</summary>
    public enum ReplayResult
    {
        Accepted,
        RefusedInHandshake,
        RefusedByServer,
    }

    /// <summary>One read-only device call (the command key) with the stolen credentials on a fresh connection.</summary>
    private static async Task<ReplayResult> ReplayAsync(DrillContext context, X509Certificate2 stolen, CancellationToken cancellationToken)
    {
        using var http = DeviceTlsClient.Create(context.Fleet.Options.DeviceListener, context.Fleet.Options.FleetRoot, stolen);
        try
        {
            using var response = await http.GetAsync("device/v1/command-key", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? ReplayResult.Accepted : ReplayResult.RefusedByServer;
        }
        catch (HttpRequestException)
        {
            return ReplayResult.RefusedInHandshake;
        }
    }
}
