using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Core.Identity;
using Fleetward.Core.Ports;
using Fleetward.Server.Problems;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>
/// The one place that changes a device's lifecycle state or revokes its certificates (operators through the API,
/// response playbooks later): checks the transition, writes the change and its audit records in one transaction,
/// then applies it to the in-memory revocation set, the device cache and the CRL, so it takes effect at once here.
/// </summary>
public sealed class DeviceLifecycleService(
    IFleetStore store,
    TimeProvider time,
    RevocationRegistry revocations,
    DeviceStateCache devices,
    CrlPublisher crl)
{
    /// <summary>Moves the device through <paramref name="action"/>; decommissioning also revokes every certificate (cessationOfOperation).</summary>
    /// <exception cref="ProblemException">No such device (404) or the transition is not allowed (409, with the reason).</exception>
    public async Task<Device> ChangeStateAsync(string deviceId, DeviceLifecycleAction action, string reason, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<StoredDeviceCertificate> revoked = [];
        Device changed;
        await using (var uow = await store.BeginAsync(cancellationToken))
        {
            var device = await uow.Devices.GetAsync(deviceId, cancellationToken) ?? throw ProblemException.NotFound($"No device with id '{deviceId}'.");
            var decision = DeviceLifecycleTransitions.Decide(device.State, action);
            if (!decision.Allowed)
            {
                throw new ProblemException(new Problem(ProblemType.Conflict, $"Device '{deviceId}': {decision.Reason}.", "state"));
            }

            await uow.Devices.SetStateAsync(deviceId, decision.To, cancellationToken);
            if (action == DeviceLifecycleAction.Approve)
            {
                var group = await uow.Enrollment.GetDeviceGroupAsync(deviceId, cancellationToken) ?? "-";
                await uow.Audit.AppendAsync(new EnrollmentApprovedRecord(deviceId, group).ToAuditEvent(now, actor), cancellationToken);
            }
            else
            {
                await uow.Audit.AppendAsync(new DeviceStateChangedRecord(deviceId, device.State, decision.To, reason).ToAuditEvent(now, actor), cancellationToken);
            }

            if (action == DeviceLifecycleAction.Decommission)
            {
                revoked = await RevokeWithinAsync(uow, deviceId, X509RevocationReason.CessationOfOperation, now, actor, cancellationToken);
            }

            await uow.CommitAsync(cancellationToken);
            changed = device with { State = decision.To };
        }

        await ApplyCommittedAsync(deviceId, revoked, cancellationToken);
        return changed;
    }

    /// <summary>Revokes every unrevoked certificate of the device; the device keeps its state and may enroll again with a new credential.</summary>
    public async Task<IReadOnlyList<StoredDeviceCertificate>> RevokeAsync(string deviceId, X509RevocationReason reason, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<StoredDeviceCertificate> revoked;
        await using (var uow = await store.BeginAsync(cancellationToken))
        {
            _ = await uow.Devices.GetAsync(deviceId, cancellationToken) ?? throw ProblemException.NotFound($"No device with id '{deviceId}'.");
            revoked = await RevokeWithinAsync(uow, deviceId, reason, now, actor, cancellationToken);
            await uow.CommitAsync(cancellationToken);
        }

        await ApplyCommittedAsync(deviceId, revoked, cancellationToken);
        return revoked;
    }

    /// <summary>
    /// Revokes every unrevoked certificate of the device inside the caller's unit of work, with an audit record each
    /// (response playbooks run inside the transaction of the incident they answer). After the caller commits it must
    /// call <see cref="ApplyCommittedAsync"/> so the revocation takes effect in this process at once.
    /// </summary>
    public static async Task<IReadOnlyList<StoredDeviceCertificate>> RevokeWithinAsync(
        IFleetUnitOfWork uow, string deviceId, X509RevocationReason reason, DateTimeOffset now, string actor, CancellationToken cancellationToken)
    {
        var name = reason.ToName();
        var revoked = await uow.Certificates.RevokeAllForDeviceAsync(deviceId, now, name, cancellationToken);
        foreach (var certificate in revoked)
        {
            await uow.Audit.AppendAsync(new CertificateRevokedRecord(deviceId, certificate.SerialNumberHex, now, name).ToAuditEvent(now, actor), cancellationToken);
        }

        return revoked;
    }

    /// <summary>Applies a committed state change or revocation to the device cache, the revocation set and the CRL.</summary>
    public async Task ApplyCommittedAsync(string deviceId, IReadOnlyList<StoredDeviceCertificate> revoked, CancellationToken cancellationToken)
    {
        devices.Evict(deviceId);
        if (revoked.Count > 0)
        {
            revocations.Add(revoked.Select(c => c.SerialNumberHex));
            await crl.RebuildAsync(cancellationToken);
        }
    }
}
