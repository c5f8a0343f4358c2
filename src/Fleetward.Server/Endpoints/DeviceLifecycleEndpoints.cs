using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Core.Identity;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Identity;
using Fleetward.Server.Problems;
using Fleetward.Trust.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fleetward.Server.Endpoints;

/// <summary>Device lifecycle changes and certificate revocation on the operator API (operator role).</summary>
public static class DeviceLifecycleEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/devices");
        devices.MapPost("/{id}/approve", (string id, HttpContext context, DeviceLifecycleService service) => ChangeAsync(id, DeviceLifecycleAction.Approve, context, service))
            .RequireRole(OperatorRole.Operator);
        devices.MapPost("/{id}/quarantine", (string id, HttpContext context, DeviceLifecycleService service) => ChangeAsync(id, DeviceLifecycleAction.Quarantine, context, service))
            .RequireRole(OperatorRole.Operator);
        devices.MapPost("/{id}/release", (string id, HttpContext context, DeviceLifecycleService service) => ChangeAsync(id, DeviceLifecycleAction.Release, context, service))
            .RequireRole(OperatorRole.Operator);
        devices.MapPost("/{id}/decommission", (string id, HttpContext context, DeviceLifecycleService service) => ChangeAsync(id, DeviceLifecycleAction.Decommission, context, service))
            .RequireRole(OperatorRole.Operator);
        devices.MapPost("/{id}/revoke", RevokeAsync).RequireRole(OperatorRole.Operator);
        devices.MapGet("/{id}/certificates", ListCertificatesAsync).RequireRole(OperatorRole.Auditor);
    }

    /// <summary>Optional body of the state-change routes: why (recorded in the audit log).</summary>
    public sealed record StateChangeRequest(string? Reason = null);

    /// <summary>Optional body of /revoke: an RFC 5280 5.3.1 reason name (default keyCompromise).</summary>
    public sealed record RevokeRequest(string? Reason = null);

    public sealed record CertificateView(string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt, string? RevocationReason)
    {
        public static CertificateView From(StoredDeviceCertificate c) => new(c.SerialNumberHex, c.NotBefore, c.NotAfter, c.IssuedAt, c.RevokedAt, c.RevocationReason);
    }

    public sealed record RevocationView(string DeviceId, IReadOnlyList<string> RevokedSerials, string Reason);

    private static async Task<IResult> ChangeAsync(string id, DeviceLifecycleAction action, HttpContext context, DeviceLifecycleService service)
    {
        var request = context.Request.ContentLength is > 0 ? await JsonBody.ReadAsync<StateChangeRequest>(context.Request) : new StateChangeRequest();
        var device = await service.ChangeStateAsync(id, action, request.Reason ?? action.ToString().ToLowerInvariant() + " by operator",
            OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(DeviceEndpoints.DeviceView.From(device), JsonBody.Options);
    }

    private static async Task<IResult> RevokeAsync(string id, HttpContext context, DeviceLifecycleService service)
    {
        var request = context.Request.ContentLength is > 0 ? await JsonBody.ReadAsync<RevokeRequest>(context.Request) : new RevokeRequest();
        X509RevocationReason reason = X509RevocationReason.KeyCompromise;
        if (request.Reason is not null)
        {
            if (!RevocationReasonNames.TryParse(request.Reason, out var parsed))
            {
                throw ProblemException.Validation("$.reason", $"reason must be one of {string.Join(", ", RevocationReasonNames.All)}; got '{request.Reason}'.");
            }

            reason = parsed.Value;
        }

        var revoked = await service.RevokeAsync(id, reason, OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(new RevocationView(id, [.. revoked.Select(c => c.SerialNumberHex)], reason.ToName()), JsonBody.Options);
    }

    private static async Task<IResult> ListCertificatesAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        _ = await read.Devices.GetAsync(id, context.RequestAborted) ?? throw ProblemException.NotFound($"No device with id '{id}'.");
        var certificates = await read.Certificates.ListForDeviceAsync(id, context.RequestAborted);
        return Results.Json(certificates.Select(CertificateView.From).ToList(), JsonBody.Options);
    }
}
