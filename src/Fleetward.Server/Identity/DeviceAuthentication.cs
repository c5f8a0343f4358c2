using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Identity;

/// <summary>
/// The device listener's handshake check. A certificate our issuing CA signed must verify now (chain to our root,
/// validity, clientAuth, device id, not revoked), so a revoked or expired device gets no TLS session at all. Any
/// other certificate must chain to an enrollment group's factory CA: it can then reach only the anonymous routes
/// (/simpleenroll), because the per-request check admits only fleet certificates on device routes.
/// </summary>
public sealed class DeviceHandshakeValidator(FleetCertificateAuthority authority, RevocationRegistry revocations, FactoryTrustCache factoryTrust, TimeProvider time)
    : IDeviceCertificateValidator
{
    public DeviceCertificateDecision Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors policyErrors)
    {
        var now = time.GetUtcNow();
        if (authority.IsIssuerOf(certificate))
        {
            var result = authority.Verifier.Verify(certificate, now, revocations.Latest());
            return result.IsSuccess
                ? DeviceCertificateDecision.Accept($"device {result.Value.DeviceId}, certificate {result.Value.SerialNumberHex}")
                : DeviceCertificateDecision.Refuse($"{result.Error.Code}: {result.Error.Message}");
        }

        var presented = chain?.ChainElements.Skip(1).Select(e => e.Certificate).ToList() ?? [];
        var factory = factoryTrust.FindInLatest(certificate, presented, now);
        return factory is { } found
            ? DeviceCertificateDecision.Accept($"factory certificate of device {found.Identity.DeviceId} in group {found.Group}")
            : DeviceCertificateDecision.Refuse("neither a fleet device certificate nor a factory certificate of any enrollment group");
    }
}

/// <summary>
/// Per request on device routes declared with <see cref="DeviceAccessConventions.RequireDevice"/>: verifies the client
/// certificate again against a revocation set at most a few seconds old, loads the device (cached at most a few
/// seconds), admits only the lifecycle states the route allows, and sets <see cref="AuthenticatedDevice"/>.
/// Decommissioned devices are refused everywhere; quarantined ones only reach routes that allow Quarantined.
/// </summary>
public sealed class DeviceAuthenticationMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var access = endpoint?.Metadata.GetMetadata<DeviceAccessMetadata>();
        if (access is null || endpoint!.Metadata.GetMetadata<ListenerMetadata>()?.Listener != FleetwardListener.Device)
        {
            await next(context);
            return;
        }

        var services = context.RequestServices;
        var authority = services.GetService<FleetCertificateAuthority>();
        var certificate = context.Connection.ClientCertificate;
        if (authority is null || certificate is null)
        {
            await ProblemWriter.WriteAsync(context, new Problem(DeviceProblems.Unauthenticated, "This route requires a fleet device certificate (mutual TLS)."));
            return;
        }

        var revocations = services.GetRequiredService<RevocationRegistry>();
        var time = services.GetRequiredService<TimeProvider>();
        var verified = authority.Verifier.Verify(certificate, time.GetUtcNow(), await revocations.CurrentAsync(context.RequestAborted));
        if (!verified.IsSuccess)
        {
            await ProblemWriter.WriteAsync(context, new Problem(DeviceProblems.Unauthenticated, verified.Error.Message, verified.Error.Field));
            return;
        }

        var device = await services.GetRequiredService<DeviceStateCache>().GetAsync(verified.Value.DeviceId, context.RequestAborted);
        if (device is null)
        {
            await ProblemWriter.WriteAsync(context, new Problem(DeviceProblems.Forbidden, $"Device '{verified.Value.DeviceId}' is not registered."));
            return;
        }

        if (!access.AllowedStates.Contains(device.State))
        {
            await ProblemWriter.WriteAsync(context, new Problem(DeviceProblems.Forbidden,
                $"Device '{device.Id}' is {device.State.ToName()}; this route admits only {string.Join(", ", access.AllowedStates.Select(s => s.ToName()))} devices.", "state"));
            return;
        }

        context.Features.Set(new AuthenticatedDevice(device, certificate));
        await next(context);
    }
}

/// <summary>Problem types of the device listener (RFC 9457), distinct from the operator API's token problems.</summary>
public static class DeviceProblems
{
    public static readonly ProblemType Unauthenticated = new("device-unauthenticated", 401, "A valid fleet device certificate is required");
    public static readonly ProblemType Forbidden = new("device-forbidden", 403, "The device may not call this route in its current state");

    /// <summary>An EST refusal: the type's code is the stable refusal code (e.g. csr.key_too_weak).</summary>
    public static Problem Est(EstRefusal refusal) =>
        new(new ProblemType(refusal.Code, refusal.Status, "The enrollment request was refused"), refusal.Message, refusal.Field);
}
