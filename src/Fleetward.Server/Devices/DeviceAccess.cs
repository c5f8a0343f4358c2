using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Devices;

/// <summary>
/// Endpoint metadata of a device-listener route: the lifecycle states whose devices may call it over mutual TLS.
/// Most routes admit only <see cref="DeviceLifecycleState.Active"/>; the few a quarantined device keeps
/// (check-in, telemetry, forensic upload, re-attestation) name <see cref="DeviceLifecycleState.Quarantined"/> too.
/// </summary>
public sealed record DeviceAccessMetadata(IReadOnlySet<DeviceLifecycleState> AllowedStates);

/// <summary>
/// Endpoint metadata: this device-listener route answers clients without a Fleetward device certificate
/// (EST bootstrap with a factory certificate or a one-time token, TUF metadata whose security comes from signatures), and why.
/// </summary>
public sealed record AnonymousDeviceEndpointMetadata(string Justification);

/// <summary>The one way a device route declares who may call it; the device authentication middleware enforces it.</summary>
public static class DeviceAccessConventions
{
    /// <summary>Requires a valid device certificate whose device is in one of <paramref name="allowedStates"/> (default: active only).</summary>
    public static TBuilder RequireDevice<TBuilder>(this TBuilder builder, params DeviceLifecycleState[] allowedStates)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DeviceAccessMetadata(
            new HashSet<DeviceLifecycleState>(allowedStates.Length == 0 ? [DeviceLifecycleState.Active] : allowedStates)));

    public static TBuilder AllowWithoutDeviceCertificate<TBuilder>(this TBuilder builder, string justification)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AnonymousDeviceEndpointMetadata(justification));
}

/// <summary>The device a device-listener request comes from: established by mutual TLS, checked against the registry for this request.</summary>
public sealed record AuthenticatedDevice(Device Device, X509Certificate2 Certificate);

/// <summary>Access to the request's authenticated device from endpoint code.</summary>
public static class AuthenticatedDeviceExtensions
{
    /// <summary>
    /// The authenticated device; only present on routes declared with <see cref="DeviceAccessConventions.RequireDevice"/>,
    /// whose requests the device authentication middleware has already admitted.
    /// </summary>
    public static AuthenticatedDevice GetAuthenticatedDevice(this HttpContext context) =>
        context.Features.Get<AuthenticatedDevice>()
        ?? throw new InvalidOperationException("No authenticated device: the route must be declared with RequireDevice(...).");
}
