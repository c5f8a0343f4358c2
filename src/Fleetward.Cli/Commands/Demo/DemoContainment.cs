using Fleetward.Core.Detection;
using Fleetward.Server.Endpoints;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// How far the response to a compromised robot has got, as the operator API shows it: a Mirai-like incident on the robot,
/// the robot quarantined in the registry, and its certificate revoked (the playbook rotates its credentials); plus the
/// signed commands queued for its agent.
/// </summary>
public sealed record DemoContainment(
    IncidentEndpoints.IncidentSummary? Incident,
    string DeviceState,
    IReadOnlyList<DeviceLifecycleEndpoints.CertificateView> Certificates,
    IReadOnlyList<DeviceCommandEndpoints.CommandStatusView> Commands)
{
    public bool CertificateRevoked => Certificates.Any(certificate => certificate.RevokedAt is not null);

    /// <summary>Stages reached, in the order the playbook takes them: 0 to 3.</summary>
    public int Stages => Incident is null ? 0 : DeviceState != "quarantined" ? 1 : !CertificateRevoked ? 2 : 3;

    public string Describe() =>
        $"incident {Incident?.Id ?? "none"}, device {DeviceState}, certificate {(CertificateRevoked ? "revoked" : "valid")}, "
        + $"commands {(Commands.Count == 0 ? "none" : string.Join(", ", Commands.Select(command => $"{command.Kind} {command.Status}")))}";

    public static async Task<DemoContainment> ObserveAsync(OperatorApiClient api, string deviceId, CancellationToken cancellationToken)
    {
        var device = Uri.EscapeDataString(deviceId);
        var incidents = await api.GetAsync<IncidentEndpoints.IncidentPage>($"api/v1/incidents?device={device}&cause={DetectionCauses.MiraiLike}", cancellationToken);
        var view = await api.GetAsync<DeviceEndpoints.DeviceView>("api/v1/devices/" + device, cancellationToken);
        var certificates = await api.GetAsync<List<DeviceLifecycleEndpoints.CertificateView>>($"api/v1/devices/{device}/certificates", cancellationToken);
        var commands = await api.GetAsync<List<DeviceCommandEndpoints.CommandStatusView>>($"api/v1/devices/{device}/commands", cancellationToken);
        return new DemoContainment(incidents.Items.FirstOrDefault(), view.State, certificates, commands);
    }
}
