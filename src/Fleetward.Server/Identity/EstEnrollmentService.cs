using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Core.Identity;
using Fleetward.Core.Ports;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>How a device proves who it is to /simpleenroll: a one-time token over HTTP Basic, or a factory (IDevID) certificate over TLS.</summary>
public sealed record EnrollmentCredentials(string? BasicUser, string? BasicPassword, X509Certificate2? ClientCertificate, IReadOnlyList<X509Certificate2> PresentedChain);

/// <summary>An EST refusal: the HTTP status RFC 7030 calls for, and the stable code, field and public message.</summary>
public sealed record EstRefusal(int Status, string Code, string Field, string Message);

/// <summary>The answer to an enrollment: a certificate, "come back later" (manual approval, RFC 7030 4.2.3 202), or a refusal.</summary>
public sealed record EstOutcome(X509Certificate2? Certificate, TimeSpan? RetryAfter, EstRefusal? Refusal)
{
    public static EstOutcome Issued(X509Certificate2 certificate) => new(certificate, null, null);

    public static EstOutcome Pending(TimeSpan retryAfter) => new(null, retryAfter, null);

    public static EstOutcome Refused(EstRefusal refusal) => new(null, null, refusal);
}

/// <summary>
/// EST enrollment and re-enrollment (RFC 7030 4.2): authenticates the device, proves possession (CSR signature),
/// applies the group's rules, and issues. Bad input stores nothing but its audited refusal; an issuance is stored
/// with its audit record in one transaction, and a token is consumed in that same transaction, so it is single-use.
/// </summary>
public sealed class EstEnrollmentService(IFleetStore store, TimeProvider time, FactoryTrustCache factoryTrust, FleetCertificateAuthority? authority = null)
{
    public const string EnrollEndpoint = "simpleenroll";
    public const string ReenrollEndpoint = "simplereenroll";
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    public async Task<EstOutcome> EnrollAsync(EnrollmentCredentials credentials, string? body, CancellationToken cancellationToken)
    {
        var ca = RequireAuthority();
        var now = time.GetUtcNow();
        string? deviceId = null;
        try
        {
            var (identity, group, token) = await AuthenticateAsync(ca, credentials, now, cancellationToken);
            deviceId = identity;
            var request = DecodeRequest(body, der => CertificateRequestValidator.ValidateForEnrollment(der, identity));

            await using var uow = await store.BeginAsync(cancellationToken);
            var device = await uow.Devices.GetAsync(identity, cancellationToken);
            if (device is null)
            {
                // First enrollment registers the device from its group (RFC 7030 leaves registration policy to the CA).
                device = new Device(identity, group.Model, null, group.Tags,
                    group.Approval == EnrollmentApproval.Manual ? DeviceLifecycleState.Pending : DeviceLifecycleState.Active, now, null, null);
                await uow.Devices.InsertAsync(device, cancellationToken);
                await uow.Enrollment.SetDeviceGroupAsync(identity, group.Name, cancellationToken);
            }

            switch (device.State)
            {
                case DeviceLifecycleState.Decommissioned:
                    throw new EstRefusedException(403, "device.decommissioned", "deviceId", $"Device '{identity}' is decommissioned; it cannot enroll again.");
                case DeviceLifecycleState.Quarantined:
                    throw new EstRefusedException(403, "device.quarantined", "deviceId", $"Device '{identity}' is quarantined; an operator must release it first.");
                case DeviceLifecycleState.Pending:
                    // RFC 7030 4.2.3: 202 with Retry-After; the token stays unused until the certificate is issued.
                    await uow.CommitAsync(cancellationToken);
                    return EstOutcome.Pending(RetryAfter);
            }

            if (token is not null && !await uow.Enrollment.ConsumeTokenAsync(token.Id, now, cancellationToken))
            {
                throw new EstRefusedException(401, "est.token_used", "authorization", "The enrollment token has already been used or has expired.");
            }

            var actor = token is not null ? "enrollment-token:" + token.Id : "factory-certificate:" + credentials.ClientCertificate!.SerialNumber;
            var issued = ca.Authority.Issue(request, identity, now, group.CertificateLifetime);
            await StoreAsync(uow, issued, now, cancellationToken);
            await uow.Devices.MarkSeenAsync(identity, now, cancellationToken);
            await uow.Audit.AppendAsync(
                new CertificateIssuedRecord(identity, issued.SerialNumberHex, issued.NotBefore, issued.NotAfter, request.KeyDescription, group.Name).ToAuditEvent(now, actor),
                cancellationToken);
            await uow.CommitAsync(cancellationToken);
            return EstOutcome.Issued(issued.Certificate);
        }
        catch (EstRefusedException refused)
        {
            return await RefuseAsync(deviceId, EnrollEndpoint, refused.Refusal, now, cancellationToken);
        }
    }

    /// <summary>RFC 7030 4.2.2: the device authenticated with its current certificate; subject and SAN must stay the same.</summary>
    public async Task<EstOutcome> ReenrollAsync(string deviceId, X509Certificate2 currentCertificate, string? body, CancellationToken cancellationToken)
    {
        var ca = RequireAuthority();
        var now = time.GetUtcNow();
        try
        {
            var request = DecodeRequest(body, der => CertificateRequestValidator.ValidateForReenrollment(der, currentCertificate));
            await using var uow = await store.BeginAsync(cancellationToken);
            var groupName = await uow.Enrollment.GetDeviceGroupAsync(deviceId, cancellationToken);
            var group = groupName is null ? null : await uow.Enrollment.GetGroupAsync(groupName, cancellationToken);
            var issued = ca.Authority.Issue(request, deviceId, now, group?.CertificateLifetime ?? DeviceCertificateAuthority.DefaultLifetime);
            await StoreAsync(uow, issued, now, cancellationToken);
            await uow.Devices.MarkSeenAsync(deviceId, now, cancellationToken);
            await uow.Audit.AppendAsync(
                new CertificateRenewedRecord(deviceId, issued.SerialNumberHex, currentCertificate.SerialNumber, issued.NotAfter, request.KeyDescription)
                    .ToAuditEvent(now, "device:" + deviceId),
                cancellationToken);
            await uow.CommitAsync(cancellationToken);
            return EstOutcome.Issued(issued.Certificate);
        }
        catch (EstRefusedException refused)
        {
            return await RefuseAsync(deviceId, ReenrollEndpoint, refused.Refusal, now, cancellationToken);
        }
    }

    /// <summary>Audits a refusal that happened before the service could run (for example an oversized body) and returns it.</summary>
    public Task<EstOutcome> RefuseAsync(string? deviceId, string endpoint, EstRefusal refusal, CancellationToken cancellationToken) =>
        RefuseAsync(deviceId, endpoint, refusal, time.GetUtcNow(), cancellationToken);

    private async Task<EstOutcome> RefuseAsync(string? deviceId, string endpoint, EstRefusal refusal, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var uow = await store.BeginAsync(cancellationToken);
        await uow.Audit.AppendAsync(new EnrollmentRefusedRecord(deviceId, endpoint, refusal.Code, refusal.Message).ToAuditEvent(now, "est"), cancellationToken);
        await uow.CommitAsync(cancellationToken);
        return EstOutcome.Refused(refusal);
    }

    private async Task<(string DeviceId, EnrollmentGroup Group, EnrollmentToken? Token)> AuthenticateAsync(
        FleetCertificateAuthority ca, EnrollmentCredentials credentials, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (credentials.BasicUser is not null)
        {
            // RFC 7030 3.2.3: HTTP Basic; user = device id, password = the one-time token.
            await using var read = await store.ReadAsync(cancellationToken);
            var token = await read.Enrollment.FindTokenBySecretHashAsync(EnrollmentGroupService.HashSecret(credentials.BasicPassword ?? ""), cancellationToken);
            if (token is null || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token.DeviceId), System.Text.Encoding.UTF8.GetBytes(credentials.BasicUser)))
            {
                throw new EstRefusedException(401, "est.token_invalid", "authorization", "The device id and enrollment token do not match a token this server issued.");
            }

            if (token.ConsumedAt is not null)
            {
                throw new EstRefusedException(401, "est.token_used", "authorization", "The enrollment token has already been used; ask for a new one.");
            }

            if (token.ExpiresAt <= now)
            {
                throw new EstRefusedException(401, "est.token_expired", "authorization", $"The enrollment token expired at {token.ExpiresAt:O}.");
            }

            var group = await read.Enrollment.GetGroupAsync(token.GroupName, cancellationToken)
                ?? throw new EstRefusedException(401, "est.token_invalid", "authorization", "The enrollment token's group no longer exists.");
            return (token.DeviceId, group, token);
        }

        if (credentials.ClientCertificate is { } certificate)
        {
            if (ca.IsIssuerOf(certificate))
            {
                throw new EstRefusedException(400, "est.use_reenroll", "clientCertificate", "This device already holds a fleet certificate; renew it with /simplereenroll.");
            }

            var found = await factoryTrust.FindAsync(certificate, credentials.PresentedChain, now, cancellationToken)
                ?? throw new EstRefusedException(401, PkiErrorCodes.FactoryCertificateUntrusted, "clientCertificate", "No enrollment group trusts the factory certificate presented.");
            await using var read = await store.ReadAsync(cancellationToken);
            var group = await read.Enrollment.GetGroupAsync(found.Group, cancellationToken)
                ?? throw new EstRefusedException(401, PkiErrorCodes.FactoryCertificateUntrusted, "clientCertificate", "The factory certificate's enrollment group no longer exists.");
            if (!DeviceIdentityName.IsValidDeviceId(found.Identity.DeviceId))
            {
                throw new EstRefusedException(400, PkiErrorCodes.FactoryCertificateWithoutDeviceId, "clientCertificate", "The factory certificate names no valid device id.");
            }

            return (found.Identity.DeviceId, group, null);
        }

        throw new EstRefusedException(401, "est.unauthenticated", "authorization", "Authenticate with HTTP Basic (device id and one-time token) or a factory certificate.");
    }

    private static VerifiedCertificateRequest DecodeRequest(string? body, Func<byte[], PkiResult<VerifiedCertificateRequest>> validate)
    {
        var der = EstWireFormat.DecodeBase64Body(body);
        if (!der.IsSuccess)
        {
            throw new EstRefusedException(der.Error.Code == PkiErrorCodes.BodyTooLarge ? 413 : 400, der.Error.Code, der.Error.Field, der.Error.Message);
        }

        var request = validate(der.Value);
        return request.IsSuccess ? request.Value : throw new EstRefusedException(400, request.Error.Code, request.Error.Field, request.Error.Message);
    }

    private static async Task StoreAsync(IFleetUnitOfWork uow, IssuedDeviceCertificate issued, DateTimeOffset now, CancellationToken cancellationToken) =>
        await uow.Certificates.InsertAsync(
            new StoredDeviceCertificate(issued.SerialNumberHex, issued.DeviceId, issued.NotBefore, issued.NotAfter, now, null, null, issued.Certificate.RawData),
            cancellationToken);

    private FleetCertificateAuthority RequireAuthority() =>
        authority ?? throw new Problems.ProblemException(new Problems.Problem(Problems.ProblemType.Unavailable, "No device certificate authority is configured on this server; run 'fleetward ca init'."));

    private sealed class EstRefusedException(int status, string code, string field, string message) : Exception(message)
    {
        public EstRefusal Refusal { get; } = new(status, code, field, message);
    }
}
