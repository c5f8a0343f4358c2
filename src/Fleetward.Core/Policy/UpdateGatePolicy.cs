using Fleetward.Core.Devices;

namespace Fleetward.Core.Policy;

/// <summary>
/// The device's client certificate as the mutual-TLS layer saw it. The TLS stack has already verified the
/// chain; the gate re-checks what can change after a handshake (validity window, revocation, binding).
/// </summary>
/// <param name="SubjectDeviceId">Device id the certificate was issued to.</param>
/// <param name="Revoked">Whether the serial number is on the current revocation list.</param>
public sealed record DeviceCredential(
    string SerialNumber,
    string SubjectDeviceId,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    bool Revoked);

/// <summary>
/// Extra facts about a device gathered before a gate decision (attestation results, location), keyed by
/// their type, so conditions added later bring their own evidence without changing the request shape.
/// </summary>
public sealed class GateEvidence
{
    private readonly IReadOnlyDictionary<Type, object> _items;

    private GateEvidence(IReadOnlyDictionary<Type, object> items) => _items = items;

    public static GateEvidence None { get; } = new(new Dictionary<Type, object>());

    /// <summary>A copy holding <paramref name="item"/> in place of any earlier evidence of the same type.</summary>
    public GateEvidence With<T>(T item) where T : class
    {
        ArgumentNullException.ThrowIfNull(item);
        var items = new Dictionary<Type, object>(_items) { [typeof(T)] = item };
        return new GateEvidence(items);
    }

    public T? Find<T>() where T : class => _items.TryGetValue(typeof(T), out var item) ? (T)item : null;
}

/// <summary>Everything a gate decision may look at, for one device at one instant.</summary>
/// <param name="Credential">The certificate presented on this connection; null when none was presented.</param>
public sealed record UpdateGateRequest(Device Device, DeviceCredential? Credential, DateTimeOffset Now, GateEvidence Evidence);

/// <summary>One reason the gate refused. <see cref="Code"/> is stable (audited, counted, shown); the message is for people.</summary>
public sealed record GateRefusal(string Code, string Message);

/// <summary>The gate's answer: allowed exactly when there are no refusals. Every refusal is listed so the audit shows all of them.</summary>
public sealed record GateDecision(IReadOnlyList<GateRefusal> Refusals)
{
    public static GateDecision Allow { get; } = new([]);

    public bool Allowed => Refusals.Count == 0;
}

/// <summary>A condition added to the gate by another area (attestation, geofence). Returns null when it holds.</summary>
public interface IUpdateGateCondition
{
    GateRefusal? Evaluate(UpdateGateRequest request);
}

/// <summary>Stable refusal codes of the built-in gate checks.</summary>
public static class GateRefusalCodes
{
    public const string CertificateMissing = "certificate-missing";
    public const string CertificateNotYetValid = "certificate-not-yet-valid";
    public const string CertificateExpired = "certificate-expired";
    public const string CertificateRevoked = "certificate-revoked";
    public const string CertificateDeviceMismatch = "certificate-device-mismatch";
    public const string DevicePending = "device-pending";
    public const string DeviceQuarantined = "device-quarantined";
    public const string DeviceDecommissioned = "device-decommissioned";
}

/// <summary>
/// Zero-trust gate (seed 004): decides afresh, at every check-in, whether a device may be given an update.
/// Trust from enrollment or an earlier decision is never carried over: the certificate must be valid now and
/// not revoked, the device must be active, and every extra condition must hold.
/// </summary>
public sealed class UpdateGatePolicy
{
    private readonly IReadOnlyList<IUpdateGateCondition> _conditions;

    public UpdateGatePolicy(IEnumerable<IUpdateGateCondition>? extraConditions = null)
    {
        _conditions = extraConditions?.ToArray() ?? [];
    }

    /// <summary>A policy with the same built-in checks and conditions plus <paramref name="condition"/>.</summary>
    public UpdateGatePolicy With(IUpdateGateCondition condition) => new(_conditions.Append(condition));

    public GateDecision Evaluate(UpdateGateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var refusals = new List<GateRefusal>();
        CheckCredential(request, refusals);
        CheckLifecycle(request.Device, refusals);
        foreach (var condition in _conditions)
        {
            if (condition.Evaluate(request) is { } refusal)
                refusals.Add(refusal);
        }
        return refusals.Count == 0 ? GateDecision.Allow : new GateDecision(refusals);
    }

    // RFC 5280 4.1.2.5: a certificate is valid from notBefore through notAfter inclusive.
    private static void CheckCredential(UpdateGateRequest request, List<GateRefusal> refusals)
    {
        var credential = request.Credential;
        if (credential is null)
        {
            refusals.Add(new GateRefusal(GateRefusalCodes.CertificateMissing, "no client certificate was presented"));
            return;
        }
        if (request.Now < credential.NotBefore)
            refusals.Add(new GateRefusal(GateRefusalCodes.CertificateNotYetValid, $"certificate {credential.SerialNumber} is valid from {credential.NotBefore:O}"));
        if (request.Now > credential.NotAfter)
            refusals.Add(new GateRefusal(GateRefusalCodes.CertificateExpired, $"certificate {credential.SerialNumber} expired at {credential.NotAfter:O}"));
        if (credential.Revoked)
            refusals.Add(new GateRefusal(GateRefusalCodes.CertificateRevoked, $"certificate {credential.SerialNumber} is revoked"));
        if (!string.Equals(credential.SubjectDeviceId, request.Device.Id, StringComparison.Ordinal))
            refusals.Add(new GateRefusal(GateRefusalCodes.CertificateDeviceMismatch, $"certificate {credential.SerialNumber} was issued to '{credential.SubjectDeviceId}', not '{request.Device.Id}'"));
    }

    private static void CheckLifecycle(Device device, List<GateRefusal> refusals)
    {
        var code = device.State switch
        {
            DeviceLifecycleState.Active => null,
            DeviceLifecycleState.Pending => GateRefusalCodes.DevicePending,
            DeviceLifecycleState.Quarantined => GateRefusalCodes.DeviceQuarantined,
            DeviceLifecycleState.Decommissioned => GateRefusalCodes.DeviceDecommissioned,
            _ => throw new ArgumentOutOfRangeException(nameof(device), device.State, "unknown lifecycle state"),
        };
        if (code is not null)
            refusals.Add(new GateRefusal(code, $"device {device.Id} is {device.State.ToName()}, not active"));
    }
}
