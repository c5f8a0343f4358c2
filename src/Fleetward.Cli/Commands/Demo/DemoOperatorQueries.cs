using System.Globalization;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Rollouts;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>The operator API reads the story's claims are checked against (devices, rollouts, incidents), paged to the end.</summary>
public static class DemoOperatorQueries
{
    private const int PageSize = 1000;

    /// <summary>Every registered device (optionally only those in <paramref name="state"/>).</summary>
    public static async Task<IReadOnlyList<DeviceEndpoints.DeviceView>> DevicesAsync(OperatorApiClient api, string? state, CancellationToken cancellationToken)
    {
        var devices = new List<DeviceEndpoints.DeviceView>();
        string? after = null;
        do
        {
            var query = $"api/v1/devices?limit={PageSize}" + (state is null ? "" : "&state=" + state) + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await api.GetAsync<DeviceEndpoints.DevicePage>(query, cancellationToken);
            devices.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null);
        return devices;
    }

    /// <summary>The serials of the certificates issued to each of the given devices (a few requests at a time).</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> CertificateSerialsAsync(OperatorApiClient api, IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        var serials = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(deviceIds, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (id, token) =>
        {
            var certificates = await api.GetAsync<List<DeviceLifecycleEndpoints.CertificateView>>($"api/v1/devices/{Uri.EscapeDataString(id)}/certificates", token);
            serials[id] = [.. certificates.Select(certificate => certificate.Serial)];
        });
        return serials;
    }

    public static Task<RolloutView> RolloutAsync(OperatorApiClient api, string id, CancellationToken cancellationToken) =>
        api.GetAsync<RolloutView>("api/v1/rollouts/" + Uri.EscapeDataString(id), cancellationToken);

    /// <summary>A rollout's assignments, optionally only those in the given update states.</summary>
    public static async Task<IReadOnlyList<AssignmentView>> AssignmentsAsync(OperatorApiClient api, string rolloutId, IReadOnlyList<string> statuses, CancellationToken cancellationToken)
    {
        var assignments = new List<AssignmentView>();
        string? after = null;
        do
        {
            var query = $"api/v1/rollouts/{Uri.EscapeDataString(rolloutId)}/devices?limit={PageSize}"
                + string.Concat(statuses.Select(status => "&status=" + status))
                + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await api.GetAsync<AssignmentPage>(query, cancellationToken);
            assignments.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null);
        return assignments;
    }

    /// <summary>Creates a rollout and starts it (which counts the targeted robots per ring).</summary>
    public static async Task<RolloutView> CreateAndStartAsync(OperatorApiClient api, CreateRolloutRequest request, CancellationToken cancellationToken)
    {
        await api.SendAsync(HttpMethod.Post, "api/v1/rollouts", request, cancellationToken);
        var started = await api.SendAsync(HttpMethod.Post, $"api/v1/rollouts/{Uri.EscapeDataString(request.Id!)}/start", null, cancellationToken);
        return System.Text.Json.JsonSerializer.Deserialize<RolloutView>(started, Fleetward.Server.Problems.JsonBody.Options)!;
    }

    /// <summary>The rollout in one line, for a failed claim: status, each ring's counters, and devices per state.</summary>
    public static string Describe(RolloutView rollout) =>
        string.Create(CultureInfo.InvariantCulture, $"rollout {rollout.Id} {rollout.Status}{(rollout.StatusReason is { } reason ? " (" + reason + ")" : "")}; ")
        + string.Join("; ", rollout.Rings.Select(ring => string.Create(CultureInfo.InvariantCulture,
            $"ring {ring.Index} {ring.Status} {ring.Succeeded}/{ring.TargetDevices} succeeded, {ring.Failed} failed, {ring.Reverted} reverted")))
        + "; devices " + string.Join(", ", rollout.Devices.Where(pair => pair.Value > 0).Select(pair => $"{pair.Key} {pair.Value}"));
}
